using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

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

    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxUid = 0x8;

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

    /// <summary>How long the sweep of ended hosts' scratch directories (<see cref="RemoveStale"/>) may run at a host's start.</summary>
    public static readonly TimeSpan StaleSweepBudget = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Takes the lock that marks a scratch directory as its host's: <c>flock(LOCK_EX)</c> on a descriptor of the
    /// directory, held for as long as the returned handle is open (the host keeps it until the directory is removed).
    /// <see cref="RemoveStale"/> leaves a directory whose lock another descriptor holds, whatever its name's pid says.
    /// </summary>
    /// <param name="path">A path <see cref="Create"/> returned.</param>
    /// <returns>The handle holding the lock (close-on-exec: no mini process inherits it); an invalid one off Linux.</returns>
    /// <exception cref="IOException">When the directory cannot be opened or locked.</exception>
    public static SafeFileHandle Lock(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new SafeFileHandle(IntPtr.Zero, ownsHandle: false);
        }

        int fd = NoFollowDirectoryRemoval.OpenNoFollow(path);
        if (fd < 0)
        {
            throw new IOException($"cannot open the scratch directory {path}: errno {Marshal.GetLastPInvokeError()}");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Flock(fd, LockExclusive | LockNonBlocking) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"cannot lock the scratch directory {path}: errno {errno}");
        }

        return handle;
    }

    /// <summary>
    /// Removes the scratch directories directly below <paramref name="root"/> whose host has ended: named
    /// <c>ipcbm-&lt;pid&gt;-&lt;16 hex&gt;</c>, a real directory (not a symbolic link), owned by this process's effective
    /// user, no process with that pid (<c>/proc/&lt;pid&gt;</c> absent), not written for <see cref="MinimumAge"/>, and
    /// no lock held on it (<see cref="Lock"/>: <c>flock(LOCK_EX | LOCK_NB)</c> succeeds, and is held while it is removed).
    /// Anything else is left alone: a name without a pid (whose owner cannot be told), a pid that is alive (its host, or
    /// another process that took the pid: left until that one ends too), a locked directory (a live host's, also one in
    /// another pid namespace whose pid means nothing here), and another user's.
    /// </summary>
    /// <param name="root">The temp directory hosts make scratch directories in.</param>
    /// <param name="now">The current time.</param>
    /// <param name="deadline">When to stop, leaving the rest (a partly removed directory goes on at the next host's start).</param>
    /// <returns>The directories removed.</returns>
    /// <remarks>
    /// A mini process can take the lock on its own scratch directory (it has a descriptor of it) and keep it from the
    /// sweep of a later host after its own host was killed; that keeps only its own directory, whose removal was the
    /// host's job anyway.
    /// </remarks>
    public static List<string> RemoveStale(string root, DateTime now, DateTime deadline)
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

        uint user = GetEffectiveUserId();
        foreach (string directory in candidates)
        {
            if (DateTime.UtcNow > deadline)
            {
                break;
            }

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

            // Not a link (O_NOFOLLOW), this user's, and no host (of any pid namespace) holding its lock.
            int fd = NoFollowDirectoryRemoval.OpenNoFollow(directory);
            if (fd < 0)
            {
                continue;
            }

            using var held = new SafeFileHandle(fd, ownsHandle: true);
            if (OwnerUid(fd) != user || Flock(fd, LockExclusive | LockNonBlocking) != 0)
            {
                continue;
            }

            if (TryRemove(directory, deadline) is null)
            {
                removed.Add(directory);
            }
        }

        return removed;
    }

    /// <summary>The owner uid of the open file <paramref name="fd"/> (<c>statx</c>), or null when it cannot be told.</summary>
    private static uint? OwnerUid(int fd)
    {
        // struct statx: stx_mask u32 @0, stx_blksize u32 @4, stx_attributes u64 @8, stx_nlink u32 @16, stx_uid u32 @20.
        byte[] buffer = new byte[256];
        if (Statx(fd, [0], AtEmptyPath, StatxUid, buffer) != 0 || (MemoryMarshal.Read<uint>(buffer) & StatxUid) == 0)
        {
            return null;
        }

        return MemoryMarshal.Read<uint>(buffer.AsSpan(20));
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

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, byte[] path, int flags, uint mask, byte[] buffer);
}
