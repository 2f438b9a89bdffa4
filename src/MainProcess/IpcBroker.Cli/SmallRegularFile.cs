using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Reads a file the tool was pointed at (a config file) that must be a regular file of bounded size: a FIFO, a device,
/// a socket or a directory is refused in one line, and so is a file over the size limit, before it can hang the tool or
/// fill its memory.
/// </summary>
/// <remarks>
/// The file is opened without blocking (a FIFO with no writer would hang a plain open for ever) and its kind is checked on
/// the open descriptor, so what is checked is what is read; the read stops one byte past the limit whatever size the file
/// claims. Linux only, as the tool is.
/// </remarks>
internal static class SmallRegularFile
{
    private const int ReadOnlyNonBlockingNoTerminalCloseOnExec = 0x0 | 0x800 | 0x100 | 0x80000; // O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC
    private const int AtCurrentDirectory = -100; // AT_FDCWD
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const int NoSuchFile = 2; // ENOENT
    private const int PermissionDenied = 13; // EACCES
    private const int NotADirectory = 20; // ENOTDIR

    /// <summary>Reads all of <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The most bytes it may hold.</param>
    /// <param name="description">What the file is, for the error line: "the config file".</param>
    /// <returns>Its bytes.</returns>
    /// <exception cref="CliException">When it is not a regular file, or is larger than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="IOException">When it cannot be opened or read.</exception>
    /// <exception cref="UnauthorizedAccessException">When it may not be read.</exception>
    public static byte[] Read(string path, int maxBytes, string description)
    {
        int fd = Open(path, ReadOnlyNonBlockingNoTerminalCloseOnExec);
        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();

            // A socket cannot be opened at all (ENXIO): say what it is rather than "no such device or address".
            if (KindOf(AtCurrentDirectory, path, 0) is { } kind && kind != Kind.Regular)
            {
                throw NotRegular(path, kind, description);
            }

            string full = Path.GetFullPath(path);
            throw error switch
            {
                NoSuchFile or NotADirectory => new FileNotFoundException($"Could not find file '{full}'.", full),
                PermissionDenied => new UnauthorizedAccessException($"Access to the path '{full}' is denied."),
                _ => new IOException(Marshal.GetPInvokeErrorMessage(error)),
            };
        }

        using var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        Kind? opened = KindOf(fd, string.Empty, AtEmptyPath);
        if (opened != Kind.Regular)
        {
            throw opened is { } kind ? NotRegular(path, kind, description) : new IOException($"cannot tell what kind of file '{path}' is");
        }

        byte[] buffer = new byte[maxBytes + 1];
        int length = 0;
        int read;
        while (length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0)
        {
            length += read;
        }

        if (length > maxBytes)
        {
            throw new CliException($"{description} '{path}' is larger than {maxBytes / 1024} KiB");
        }

        return buffer[..length];
    }

    private static CliException NotRegular(string path, Kind kind, string description) => new(kind switch
    {
        Kind.Directory => $"{description} '{path}' is a directory",
        Kind.Fifo => $"{description} '{path}' is not a regular file but a FIFO",
        Kind.CharacterDevice => $"{description} '{path}' is not a regular file but a character device",
        Kind.BlockDevice => $"{description} '{path}' is not a regular file but a block device",
        Kind.Socket => $"{description} '{path}' is not a regular file but a socket",
        _ => $"{description} '{path}' is not a regular file",
    });

    /// <summary>The kind of file (<c>statx</c>, following links), or null when it cannot be told.</summary>
    private static Kind? KindOf(int directoryFd, string path, int flags)
    {
        // struct statx: stx_mask u32 @0, ..., stx_mode u16 @28; the kind is its S_IFMT bits.
        byte[] buffer = new byte[256];
        if (Statx(directoryFd, path, flags, StatxType, buffer) != 0 || (MemoryMarshal.Read<uint>(buffer) & StatxType) == 0)
        {
            return null;
        }

        return (Kind)(MemoryMarshal.Read<ushort>(buffer.AsSpan(28)) & 0xF000);
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    /// <summary>The S_IFMT kinds of file.</summary>
    private enum Kind
    {
        Fifo = 0x1000,
        CharacterDevice = 0x2000,
        Directory = 0x4000,
        BlockDevice = 0x6000,
        Regular = 0x8000,
        Socket = 0xC000,
    }
}
