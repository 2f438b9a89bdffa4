using System.Diagnostics;
using System.Runtime.InteropServices;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// Removes a directory tree a mini process could write in, without ever following a symbolic link — also one that a
/// descendant of the process swaps in for a directory while the tree is being walked.
/// </summary>
/// <remarks>
/// <para><c>Directory.Delete(recursive: true)</c> walks by path: a directory renamed and replaced by a link to somewhere
/// else between the listing and the descent is followed, and what the link points to is deleted (the review of issue 9
/// reproduced it against the host's data directory). Here every step goes through the parent's descriptor: a child is
/// opened with <c>openat(O_DIRECTORY | O_NOFOLLOW)</c>, its entries are listed through that descriptor
/// (<c>/proc/self/fd/N</c>), and names are unlinked with <c>unlinkat</c> relative to it. A link found where a directory
/// was is unlinked, never entered.</para>
/// <para>Bounded: it stops at <see cref="MaxDepth"/> and when <c>deadline</c> passes, and says so; the caller may go on
/// later. Linux only.</para>
/// </remarks>
internal static class NoFollowDirectoryRemoval
{
    /// <summary>How deep it descends; a deeper tree is left (a mini process can make one, and the walk recurses).</summary>
    public const int MaxDepth = 256;

    private const int AtFdCwd = -100;
    private const int AtRemoveDir = 0x200;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int EISDIR = 21;
    private const int ENOTEMPTY = 39;
    private const int ELOOP = 40;
    private const int OCloseOnExec = 0x80000;

    // O_DIRECTORY and O_NOFOLLOW differ between x86_64 (and most) and arm64.
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    /// <summary>Removes <paramref name="path"/> and everything below it, never following a link below it.</summary>
    /// <param name="path">The directory; its own path (its parents) must be the host's, not the mini's, to change.</param>
    /// <param name="deadline">When to stop, leaving the rest.</param>
    /// <returns>Null when the directory is gone (or was not there), else why not all of it could be removed.</returns>
    public static string? Remove(string path, DateTime deadline)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string parent = Path.GetDirectoryName(full) ?? "/";
        int parentFd = Open(AtFdCwd, parent, follow: true);
        if (parentFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT ? null : $"cannot open {parent}: errno {errno}";
        }

        try
        {
            return RemoveEntry(parentFd, Path.GetFileName(full), 0, deadline);
        }
        finally
        {
            _ = Close(parentFd);
        }
    }

    /// <summary>Removes the entry <paramref name="name"/> of the directory <paramref name="parentFd"/>, whatever it is.</summary>
    private static string? RemoveEntry(int parentFd, string name, int depth, DateTime deadline)
    {
        if (UnlinkAt(parentFd, name, 0) == 0)
        {
            return null;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == ENOENT)
        {
            return null;
        }

        if (errno != EISDIR)
        {
            return $"cannot remove {name}: errno {errno}";
        }

        if (depth >= MaxDepth)
        {
            return $"the tree is deeper than {MaxDepth} directories";
        }

        int fd = Open(parentFd, name, follow: false);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();

            // Swapped for a link or a file since the unlink: it is no directory now, so unlink it as what it is.
            return errno is ELOOP or ENOTDIR ? RemoveEntry(parentFd, name, depth, deadline) : errno == ENOENT ? null : $"cannot open {name}: errno {errno}";
        }

        string? failure;
        try
        {
            failure = RemoveChildren(fd, depth + 1, deadline);
        }
        finally
        {
            _ = Close(fd);
        }

        if (failure is not null)
        {
            return failure;
        }

        if (UnlinkAt(parentFd, name, AtRemoveDir) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT ? null : errno == ENOTEMPTY ? $"{name} was written to while it was removed" : $"cannot remove {name}: errno {errno}";
        }

        return null;
    }

    private static string? RemoveChildren(int fd, int depth, DateTime deadline)
    {
        // The listing goes through the descriptor: whatever the path now leads to, these are the entries of this directory.
        string[] names;
        try
        {
            names = [.. Directory.EnumerateFileSystemEntries($"/proc/self/fd/{fd}").Select(Path.GetFileName).OfType<string>()];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "cannot list a directory: " + ex.Message;
        }

        foreach (string name in names)
        {
            if (DateTime.UtcNow > deadline)
            {
                return "its removal ran out of time";
            }

            if (RemoveEntry(fd, name, depth, deadline) is { } failure)
            {
                return failure;
            }
        }

        return null;
    }

    private static int Open(int directoryFd, string path, bool follow)
    {
        Debug.Assert(OperatingSystem.IsLinux(), "Linux only");
        return OpenAt(directoryFd, path, ODirectory | OCloseOnExec | (follow ? 0 : ONoFollow), 0);
    }

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int directoryFd, string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static extern int UnlinkAt(int directoryFd, string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
