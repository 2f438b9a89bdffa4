using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Finds and removes the private pipe directories of hosts that ended without removing them (SIGKILL, a crash, power
/// loss), so that they do not pile up in the runtime directory.
/// </summary>
/// <remarks>
/// A directory is stale when its name is <see cref="PipeLocation.DirectoryPrefix"/> and 16 hex characters, it holds
/// <see cref="PipeLocation.SocketFileName"/> and nothing but <c>*.sock</c> files, the socket is older than
/// <see cref="MinimumAge"/>, and no socket in the system is bound to any of those files (Linux's
/// <c>/proc/net/unix</c> lists every bound path). A live host's socket is bound from the moment its file exists, and the
/// age rule keeps a host that is being born out of the check's window. Anything else is left alone, and where
/// <c>/proc/net/unix</c> cannot be read nothing is removed. (A host's pipe directory holds only its socket now; other
/// <c>*.sock</c> files are accepted because <c>serve</c> once kept its control socket there.)
/// <para>
/// An empty directory of that name, not changed for <see cref="MinimumAge"/>, is stale too: a host killed between making
/// its directory and binding its socket leaves one, and so does a host whose socket file went (a .NET socket deletes the
/// file it bound when it is closed) while something else kept the directory from being removed. A host being born is
/// younger than the age rule.
/// </para>
/// </remarks>
internal static class StalePipeDirectories
{
    /// <summary>How old a socket file must be before it can be judged stale.</summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromMinutes(1);

    /// <summary>Removes the stale pipe directories directly below <paramref name="root"/>.</summary>
    /// <param name="root">The runtime directory hosts make their pipe directories in.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The directories removed.</returns>
    public static List<string> Remove(string root, DateTime now)
    {
        var removed = new List<string>();
        List<(string Directory, string[] Sockets)> candidates = FindCandidates(root, now);
        if (candidates.Count == 0 || BoundSocketPaths() is not { } bound)
        {
            return removed;
        }

        foreach ((string directory, string[] sockets) in candidates)
        {
            if (sockets.Any(bound.Contains))
            {
                continue;
            }

            try
            {
                foreach (string socket in sockets)
                {
                    File.Delete(socket);
                }

                Directory.Delete(directory, recursive: false);
                removed.Add(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's, or something appeared in it meanwhile: leave it.
            }
        }

        return removed;
    }

    private static List<(string Directory, string[] Sockets)> FindCandidates(string root, DateTime now)
    {
        var candidates = new List<(string, string[])>();
        try
        {
            foreach (string directory in Directory.EnumerateDirectories(root, PipeLocation.DirectoryPrefix + "*"))
            {
                string name = Path.GetFileName(directory);
                if (name.Length != PipeLocation.DirectoryPrefix.Length + 16 || !name[PipeLocation.DirectoryPrefix.Length..].All(char.IsAsciiHexDigitLower))
                {
                    continue;
                }

                try
                {
                    string[] entries = Directory.GetFileSystemEntries(directory);
                    string socket = Path.Combine(directory, PipeLocation.SocketFileName);
                    if (entries.Contains(socket)
                        && entries.All(e => e.EndsWith(".sock", StringComparison.Ordinal))
                        && now - File.GetLastWriteTimeUtc(socket) >= MinimumAge)
                    {
                        candidates.Add((directory, entries));
                    }
                    else if (entries.Length == 0
                        && new DirectoryInfo(directory).LinkTarget is null
                        && now - Directory.GetLastWriteTimeUtc(directory) >= MinimumAge)
                    {
                        candidates.Add((directory, entries));
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Not ours to enter, or gone meanwhile.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unreadable runtime directory: nothing to do.
        }

        return candidates;
    }

    /// <summary>The paths of every bound Unix socket, from <c>/proc/net/unix</c>; null where it cannot be read.</summary>
    private static HashSet<string>? BoundSocketPaths()
    {
        try
        {
            var paths = new HashSet<string>(StringComparer.Ordinal);

            // "Num RefCount Protocol Flags Type St Inode Path": the path, where there is one, is the 8th field.
            foreach (string line in File.ReadLines("/proc/net/unix").Skip(1))
            {
                string[] fields = line.Split(' ', 8, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 8 && fields[7].StartsWith('/'))
                {
                    paths.Add(fields[7]);
                }
            }

            return paths;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
