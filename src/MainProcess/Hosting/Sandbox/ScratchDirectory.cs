using System.Globalization;
using System.Security.Cryptography;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// A mini process's private scratch directory, <c>&lt;temp&gt;/ipcbm-&lt;host pid&gt;-&lt;16 hex&gt;</c> (mode 0700):
/// its <c>TMPDIR</c>, and its <c>HOME</c> and working directory when the host keeps no sandboxes. Made before the process
/// starts, removed with everything in it once the process has exited.
/// </summary>
/// <remarks>
/// The host's pid in the name lets a later host tell the directories of a host that ended without removing them
/// (SIGKILL, a crash): <see cref="RemoveStale"/>.
/// </remarks>
internal static class ScratchDirectory
{
    /// <summary>How every scratch directory's name begins; the host's pid, '-' and 16 hex characters follow.</summary>
    public const string Prefix = "ipcbm-";

    /// <summary>How old a scratch directory must be before it can be judged stale.</summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromMinutes(1);

    /// <summary>Creates a new scratch directory below the system temp directory.</summary>
    /// <returns>Its full path.</returns>
    /// <exception cref="IOException">When it cannot be made.</exception>
    public static string Create()
    {
        string path = Path.Combine(Path.GetTempPath(), Prefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(path, Private);

            // CreateDirectory applies the umask; set the mode again to be sure it is exactly 0700.
            File.SetUnixFileMode(path, Private);
        }

        return path;
    }

    /// <summary>How long a removal may hold up the process's exit path; the rest goes on in the background.</summary>
    public static readonly TimeSpan RemovalBudget = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Removes a scratch directory and everything in it, never following a symbolic link in it — also not one a descendant
    /// of the process swaps in meanwhile (<see cref="NoFollowDirectoryRemoval"/>).
    /// </summary>
    /// <param name="path">A path <see cref="Create"/> returned.</param>
    /// <param name="deadline">When to stop and leave the rest; null for no deadline.</param>
    /// <returns>Null when it is gone, else why it could not be removed (a descendant of the process may still write in it).</returns>
    public static string? TryRemove(string path, DateTime? deadline = null)
    {
        if (OperatingSystem.IsLinux())
        {
            return NoFollowDirectoryRemoval.Remove(path, deadline ?? DateTime.MaxValue);
        }

        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Removes the scratch directories directly below <paramref name="root"/> whose host has ended: named
    /// <c>ipcbm-&lt;pid&gt;-&lt;16 hex&gt;</c>, a real directory (not a symbolic link), no process with that pid
    /// (<c>/proc/&lt;pid&gt;</c> absent), and not written for <see cref="MinimumAge"/>. Anything else is left alone: a
    /// name without a pid (whose owner cannot be told), a pid that is alive (its host, or another process that took the
    /// pid: left until that one ends too), and what this user may not remove.
    /// </summary>
    /// <param name="root">The temp directory hosts make scratch directories in.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The directories removed.</returns>
    public static List<string> RemoveStale(string root, DateTime now)
    {
        var removed = new List<string>();
        if (!OperatingSystem.IsLinux())
        {
            return removed;
        }

        IEnumerable<string> candidates;
        try
        {
            candidates = [.. Directory.EnumerateDirectories(root, Prefix + "*")];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return removed;
        }

        foreach (string directory in candidates)
        {
            try
            {
                if (OwnerPid(Path.GetFileName(directory)) is not int pid
                    || Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}")
                    || new DirectoryInfo(directory).LinkTarget is not null
                    || now - Directory.GetLastWriteTimeUtc(directory) < MinimumAge)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            if (TryRemove(directory) is null)
            {
                removed.Add(directory);
            }
        }

        return removed;
    }

    /// <summary>The host pid in a scratch directory's name, or null when the name is not <c>ipcbm-&lt;pid&gt;-&lt;16 hex&gt;</c>.</summary>
    private static int? OwnerPid(string name)
    {
        string rest = name.StartsWith(Prefix, StringComparison.Ordinal) ? name[Prefix.Length..] : string.Empty;
        int dash = rest.IndexOf('-', StringComparison.Ordinal);
        if (dash < 1 || rest.Length - dash - 1 != 16 || !rest[(dash + 1)..].All(char.IsAsciiHexDigitLower))
        {
            return null;
        }

        return int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
    }
}
