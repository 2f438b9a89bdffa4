using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// Removes a directory tree a mini process could write in, without ever following a symbolic link — also one that a
/// descendant of the process swaps in for a directory while the tree is being walked — and without letting anything the
/// mini process can make in the tree (names that are not UTF-8, a read-only directory, a tree of any depth) keep it.
/// </summary>
/// <remarks>
/// <para><c>Directory.Delete(recursive: true)</c> walks by path: a directory renamed and replaced by a link to somewhere
/// else between the listing and the descent is followed, and what the link points to is deleted (the review of issue 9
/// reproduced it against the host's data directory). Here every step goes through the parent's descriptor: a child is
/// opened with <c>openat(O_DIRECTORY | O_NOFOLLOW)</c>, its entries are read as raw bytes from that descriptor
/// (<c>getdents64</c>, a buffer at a time, never a whole listing), and the same bytes are unlinked with <c>unlinkat</c>
/// relative to it. A link found where a directory was is unlinked, never entered.</para>
/// <para>A directory whose entries cannot be removed for its mode (a mini process may <c>fchmod</c> it to 0500 or 0) is
/// given 0700 through a descriptor of that very directory, and the removal tried once more. An entry that still fails
/// is passed over, the rest removed, and the first failure reported at the end.</para>
/// <para>The walk keeps a descriptor per level, up to <see cref="MaxDepth"/>; a directory below that is renamed up into
/// the top directory and removed from there by a later pass, so no depth keeps a tree. Bounded by <c>deadline</c>,
/// checked before every entry. Linux only.</para>
/// </remarks>
internal static class NoFollowDirectoryRemoval
{
    /// <summary>How many levels the walk holds descriptors for; a deeper directory is moved up into the top directory.</summary>
    public const int MaxDepth = 512;

    /// <summary>How many passes over the tree one removal makes at most, while each pass still removes or moves something.</summary>
    private const int MaxPasses = 4096;

    private const int AtFdCwd = -100;
    private const int AtRemoveDir = 0x200;
    private const int EACCES = 13;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int EISDIR = 21;
    private const int ENOTEMPTY = 39;
    private const int ELOOP = 40;
    private const int OCloseOnExec = 0x80000;
    private const int OPath = 0x200000;
    private const int PrivateDirectoryMode = 0x1C0; // 0700
    private const string TimedOut = "its removal ran out of time";

    // O_DIRECTORY and O_NOFOLLOW differ between x86_64 (and most) and arm64; so does getdents64's number.
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    private static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;
    private static readonly long GetDents64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 61 : 217;

    /// <summary>Removes <paramref name="path"/> and everything below it, never following a link below it.</summary>
    /// <param name="path">The directory; its own path (its parents) must be the host's, not the mini's, to change.</param>
    /// <param name="deadline">When to stop, leaving the rest.</param>
    /// <returns>Null when the directory is gone (or was not there), else why not all of it could be removed.</returns>
    public static string? Remove(string path, DateTime deadline)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string parent = Path.GetDirectoryName(full) ?? "/";
        int parentFd = OpenAt(AtFdCwd, NameBytes(parent), ODirectory | OCloseOnExec, 0);
        if (parentFd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == ENOENT ? null : $"cannot open {parent}: errno {errno}";
        }

        try
        {
            return RemoveEntry(parentFd, NameBytes(Path.GetFileName(full)), deadline);
        }
        finally
        {
            _ = Close(parentFd);
        }
    }

    /// <summary>Opens the directory at <paramref name="path"/> (read-only, close-on-exec), not when it is a symbolic link.</summary>
    /// <param name="path">The directory.</param>
    /// <returns>The descriptor, or -1 with the error in <see cref="Marshal.GetLastPInvokeError"/>.</returns>
    public static int OpenNoFollow(string path)
    {
        Debug.Assert(OperatingSystem.IsLinux(), "Linux only");
        return OpenAt(AtFdCwd, NameBytes(path), ODirectory | ONoFollow | OCloseOnExec, 0);
    }

    /// <summary>Removes the entry <paramref name="name"/> of the directory <paramref name="parentFd"/>, whatever it is.</summary>
    private static string? RemoveEntry(int parentFd, byte[] name, DateTime deadline)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (UnlinkAt(parentFd, name, 0) == 0)
            {
                return null;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EISDIR)
            {
                return errno == ENOENT ? null : $"cannot remove {Show(name)}: errno {errno}";
            }

            int fd = OpenChild(parentFd, name, out errno);
            if (fd < 0)
            {
                // Swapped for a link or a file since the unlink: it is no directory now, so unlink it as what it is.
                if (errno is ELOOP or ENOTDIR && attempt == 0)
                {
                    continue;
                }

                return errno == ENOENT ? null : $"cannot open {Show(name)}: errno {errno}";
            }

            try
            {
                return EmptyAndRemove(parentFd, name, fd, deadline);
            }
            finally
            {
                _ = Close(fd);
            }
        }
    }

    /// <summary>Empties the directory <paramref name="topFd"/> (pass after pass while passes make progress), then removes it.</summary>
    private static string? EmptyAndRemove(int parentFd, byte[] name, int topFd, DateTime deadline)
    {
        string? firstFailure = null;
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            long progress = 0;
            bool timedOut = !EmptyTree(topFd, deadline, ref firstFailure, ref progress);
            if (UnlinkAt(parentFd, name, AtRemoveDir) == 0)
            {
                return null;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT)
            {
                return null;
            }

            if (timedOut)
            {
                return TimedOut;
            }

            if (errno != ENOTEMPTY)
            {
                return firstFailure ?? $"cannot remove {Show(name)}: errno {errno}";
            }

            if (progress == 0)
            {
                break;
            }
        }

        return firstFailure ?? $"{Show(name)} was written to while it was removed";
    }

    /// <summary>
    /// One pass over the tree below <paramref name="topFd"/>, depth first with an explicit stack of descriptors: removes
    /// what it can, records the first failure and goes on. Returns false when <paramref name="deadline"/> passed.
    /// </summary>
    private static bool EmptyTree(int topFd, DateTime deadline, ref string? firstFailure, ref long progress)
    {
        var stack = new List<Level> { new(topFd, null) { Seek = true } };
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (stack.Count > 0)
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false;
                }

                Level level = stack[^1];
                if (level.Seek)
                {
                    level.Seek = false;
                    if (LSeek(level.Fd, level.Resume, 0) < 0)
                    {
                        Record(ref firstFailure, $"cannot list a directory: errno {Marshal.GetLastPInvokeError()}");
                        level.Exhausted = true;
                    }
                }

                long read = level.Exhausted ? 0 : Syscall(GetDents64, level.Fd, buffer, buffer.Length);
                if (read < 0)
                {
                    Record(ref firstFailure, $"cannot list a directory: errno {Marshal.GetLastPInvokeError()}");
                    read = 0;
                }

                if (read == 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                    if (level.Name is null)
                    {
                        return true;
                    }

                    _ = Close(level.Fd);
                    int errno = Unlink(stack[^1], level.Name, AtRemoveDir);
                    if (errno == 0)
                    {
                        progress++;
                    }
                    else if (errno != ENOENT)
                    {
                        Record(ref firstFailure, errno == ENOTEMPTY ? $"{Show(level.Name)} was written to while it was removed" : $"cannot remove {Show(level.Name)}: errno {errno}");
                    }

                    continue;
                }

                // struct linux_dirent64: d_ino u64 @0, d_off i64 @8, d_reclen u16 @16, d_type u8 @18, d_name @19 (NUL-terminated).
                for (int at = 0; at < read;)
                {
                    int length = MemoryMarshal.Read<ushort>(buffer.AsSpan(at + 16));
                    long next = MemoryMarshal.Read<long>(buffer.AsSpan(at + 8));
                    ReadOnlySpan<byte> raw = buffer.AsSpan(at + 19, length - 19);
                    raw = raw[..raw.IndexOf((byte)0)];
                    at += length;
                    if (raw.SequenceEqual("."u8) || raw.SequenceEqual(".."u8))
                    {
                        continue;
                    }

                    if (DateTime.UtcNow > deadline)
                    {
                        return false;
                    }

                    byte[] name = [.. raw, 0];
                    if (RemoveChild(stack, level, name, topFd, ref firstFailure, ref progress) is int child)
                    {
                        // Descend; this level goes on after the child's entry once the child is done (the rest of the buffer is read again then).
                        level.Resume = next;
                        level.Seek = true;
                        stack.Add(new Level(child, name));
                        break;
                    }
                }
            }

            return true;
        }
        finally
        {
            foreach (Level level in stack)
            {
                if (level.Name is not null)
                {
                    _ = Close(level.Fd);
                }
            }
        }
    }

    /// <summary>Removes a non-directory entry, or moves a too-deep directory up; returns a directory's descriptor to descend into.</summary>
    private static int? RemoveChild(List<Level> stack, Level level, byte[] name, int topFd, ref string? firstFailure, ref long progress)
    {
        int errno = Unlink(level, name, 0);
        if (errno == 0)
        {
            progress++;
            return null;
        }

        if (errno != EISDIR)
        {
            if (errno != ENOENT)
            {
                Record(ref firstFailure, $"cannot remove {Show(name)}: errno {errno}");
            }

            return null;
        }

        if (stack.Count >= MaxDepth)
        {
            // Deeper than the walk keeps descriptors for: moved up into the top directory, a later pass removes it from there.
            byte[] moved = NameBytes(".ipcb-deep-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
            if (RenameAt(level.Fd, name, topFd, moved) == 0)
            {
                progress++;
            }
            else
            {
                Record(ref firstFailure, $"cannot move {Show(name)} up: errno {Marshal.GetLastPInvokeError()}");
            }

            return null;
        }

        int child = OpenChild(level.Fd, name, out errno);
        if (child >= 0)
        {
            return child;
        }

        if (errno is ELOOP or ENOTDIR)
        {
            // Swapped for a link or a file since the unlink: unlink it as what it is now.
            errno = Unlink(level, name, 0);
            if (errno == 0)
            {
                progress++;
                return null;
            }
        }

        if (errno != ENOENT)
        {
            Record(ref firstFailure, $"cannot remove {Show(name)}: errno {errno}");
        }

        return null;
    }

    /// <summary>unlinkat in <paramref name="level"/>; on EACCES gives the directory 0700 (through its descriptor) and tries once more. Returns 0 or the errno.</summary>
    private static int Unlink(Level level, byte[] name, int flags)
    {
        if (UnlinkAt(level.Fd, name, flags) == 0)
        {
            return 0;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno != EACCES || level.MadeWritable)
        {
            return errno;
        }

        level.MadeWritable = true;
        if (FChmod(level.Fd, PrivateDirectoryMode) != 0)
        {
            return errno;
        }

        return UnlinkAt(level.Fd, name, flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>
    /// Opens the directory <paramref name="name"/> of <paramref name="directoryFd"/>, never a link; one its mode closes
    /// (EACCES) is given 0700 through an O_PATH descriptor of that very directory first. Returns the descriptor or -1.
    /// </summary>
    private static int OpenChild(int directoryFd, byte[] name, out int errno)
    {
        Debug.Assert(OperatingSystem.IsLinux(), "Linux only");
        int flags = ODirectory | OCloseOnExec | ONoFollow;
        int fd = OpenAt(directoryFd, name, flags, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        if (fd >= 0 || errno != EACCES)
        {
            return fd;
        }

        int pathFd = OpenAt(directoryFd, name, OPath | flags, 0);
        if (pathFd < 0)
        {
            return -1;
        }

        // fchmod refuses an O_PATH descriptor; chmod through its /proc link reaches the inode it holds, never a path's.
        bool opened = ChangeMode(NameBytes($"/proc/self/fd/{pathFd}"), PrivateDirectoryMode) == 0;
        _ = Close(pathFd);
        if (!opened)
        {
            return -1;
        }

        fd = OpenAt(directoryFd, name, flags, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    private static void Record(ref string? firstFailure, string failure) => firstFailure ??= failure;

    private static byte[] NameBytes(string name) => [.. Encoding.UTF8.GetBytes(name), 0];

    private static string Show(byte[] name) => Encoding.UTF8.GetString(name.AsSpan(0, name.Length - 1));

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int directoryFd, byte[] path, int flags, int mode);

    [DllImport("libc", EntryPoint = "unlinkat", SetLastError = true)]
    private static extern int UnlinkAt(int directoryFd, byte[] path, int flags);

    [DllImport("libc", EntryPoint = "renameat", SetLastError = true)]
    private static extern int RenameAt(int oldDirectoryFd, byte[] oldPath, int newDirectoryFd, byte[] newPath);

    [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static extern int FChmod(int fd, int mode);

    [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
    private static extern int ChangeMode(byte[] path, int mode);

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long LSeek(int fd, long offset, int whence);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, int fd, byte[] buffer, long count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    /// <summary>One directory of the walk: its descriptor, its name in the level above (null for the top), where to read on.</summary>
    private sealed class Level(int fd, byte[]? name)
    {
        /// <summary>Gets the directory's descriptor (O_DIRECTORY | O_NOFOLLOW).</summary>
        public int Fd { get; } = fd;

        /// <summary>Gets its NUL-terminated name in the level above; null for the top directory.</summary>
        public byte[]? Name { get; } = name;

        /// <summary>Gets or sets the listing offset to go on from (a <c>d_off</c>).</summary>
        public long Resume { get; set; }

        /// <summary>Gets or sets a value indicating whether the listing must be moved to <see cref="Resume"/> first.</summary>
        public bool Seek { get; set; }

        /// <summary>Gets or sets a value indicating whether the listing failed and the level is done.</summary>
        public bool Exhausted { get; set; }

        /// <summary>Gets or sets a value indicating whether the directory was already given 0700 for an EACCES.</summary>
        public bool MadeWritable { get; set; }
    }
}
