using System.Runtime.InteropServices;

namespace IpcBroker.HostileMini;

/// <summary>
/// The raw system calls the escape attack makes: libc directly, so that each outcome is the kernel's own errno and not a
/// runtime's reading of it, and so that nothing is tried twice or through another call behind the attack's back.
/// </summary>
internal static class Libc
{
    public const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OExcl = 0x80, ONonBlock = 0x800, ODirectory = 0x10000, OCloExec = 0x80000;

    public const int AfUnix = 1, AfInet = 2, SockStream = 1, SockDgram = 2, SockCloExec = 0x80000;

    public const int SigCont = 18;

    public const long PtraceDetach = 17, PtraceSeize = 0x4206, PtraceInterrupt = 0x4207;

    public const int WNoHang = 1, WAll = 0x40000000;

    public const int EPerm = 1, EAcces = 13;

    public const int AtFdCwd = -100, RlimitNoFile = 7;

    /// <summary>Gets the errno of the last call made here.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Gets the symbolic name of <paramref name="errno"/>, for the common ones.</summary>
    public static string Name(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        9 => "EBADF",
        11 => "EAGAIN",
        13 => "EACCES",
        20 => "ENOTDIR",
        22 => "EINVAL",
        38 => "ENOSYS",
        43 => "EIDRM",
        61 => "ENODATA",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        _ => "errno " + errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A <c>sockaddr_un</c> for a path, or for an abstract name when <paramref name="isAbstract"/>.</summary>
    public static byte[] UnixAddress(string name, bool isAbstract, out int length)
    {
        byte[] path = System.Text.Encoding.UTF8.GetBytes(name);
        byte[] address = new byte[110];
        address[0] = AfUnix;
        int start = isAbstract ? 3 : 2;
        if (start + path.Length >= address.Length)
        {
            throw new ArgumentException("socket name too long: " + name);
        }

        path.CopyTo(address, start);

        // An abstract name is exactly as long as given (its leading NUL included); a path ends at its NUL.
        length = isAbstract ? start + path.Length : start + path.Length + 1;
        return address;
    }

    /// <summary>A <c>sockaddr_in</c> for 127.0.0.1:<paramref name="port"/>.</summary>
    public static byte[] LoopbackAddress(int port) =>
        [AfInet, 0, (byte)(port >> 8), (byte)port, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "pread64", SetLastError = true)]
    public static extern nint PRead(int fd, byte[] buffer, nint count, long offset);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static extern int Connect(int fd, byte[] address, int length);

    [DllImport("libc", EntryPoint = "sendto", SetLastError = true)]
    public static extern nint SendTo(int fd, byte[] buffer, nint count, int flags, byte[] address, int length);

    [DllImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static extern int SocketPair(int domain, int type, int protocol, int[] pair);

    [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
    public static extern int Chmod([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    [DllImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static extern int FChmod(int fd, int mode);

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    public static extern int Chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", EntryPoint = "getuid")]
    public static extern uint GetUid();

    [DllImport("libc", EntryPoint = "getgid")]
    public static extern uint GetGid();

    [DllImport("libc", EntryPoint = "setxattr", SetLastError = true)]
    public static extern int SetXattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nint size, int flags);

    /// <summary><c>utimensat(dirfd, path, times, flags)</c>; a null <paramref name="times"/> sets both to now.</summary>
    [DllImport("libc", EntryPoint = "utimensat", SetLastError = true)]
    public static extern int UtimensAt(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint times, int flags);

    /// <summary><c>prlimit(pid, resource, new, old)</c>; each limit is a pair of 64-bit values (soft, hard), or null.</summary>
    [DllImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    public static extern int Prlimit(int pid, int resource, ulong[]? newLimit, ulong[]? oldLimit);

    [DllImport("libc", EntryPoint = "shmget", SetLastError = true)]
    public static extern int ShmGet(int key, nint size, int flags);

    [DllImport("libc", EntryPoint = "shmat", SetLastError = true)]
    public static extern nint ShmAt(int id, nint address, int flags);

    [DllImport("libc", EntryPoint = "shmdt", SetLastError = true)]
    public static extern int ShmDt(nint address);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    public static extern long Ptrace(long request, int pid, nint address, nint data);

    [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static extern int WaitPid(int pid, out int status, int options);
}
