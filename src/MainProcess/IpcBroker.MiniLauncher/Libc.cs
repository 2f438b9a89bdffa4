using System.Runtime.InteropServices;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// The libc calls the launcher makes. Every declaration is blittable (raw pointers, no marshalled strings), so a call
/// needs nothing from the file system once the library is loaded: some are first called after Landlock is in force.
/// </summary>
/// <remarks>
/// <c>syscall</c> and <c>prctl</c> are variadic in C; declaring them with fixed integer parameters is sound on the two
/// architectures we support (x86_64 and aarch64 pass variadic integer arguments in the same registers).
/// </remarks>
internal static unsafe partial class Libc
{
    /// <summary><c>AF_UNIX</c>.</summary>
    internal const int AddressFamilyUnix = 1;

    /// <summary><c>SOCK_STREAM</c>.</summary>
    internal const int SocketTypeStream = 1;

    /// <summary><c>SOCK_CLOEXEC</c> (the same value as <c>O_CLOEXEC</c> on x86_64 and aarch64).</summary>
    internal const int SocketCloseOnExec = 0x80000;

    /// <summary><c>O_RDONLY</c>.</summary>
    internal const int OpenReadOnly = 0;

    /// <summary><c>O_PATH</c>.</summary>
    internal const int OpenPath = 0x200000;

    /// <summary><c>O_CLOEXEC</c>.</summary>
    internal const int OpenCloseOnExec = 0x80000;

    /// <summary><c>F_GETFD</c>.</summary>
    internal const int FcntlGetDescriptorFlags = 1;

    /// <summary><c>F_SETFD</c>.</summary>
    internal const int FcntlSetDescriptorFlags = 2;

    /// <summary><c>FD_CLOEXEC</c>.</summary>
    internal const int DescriptorCloseOnExec = 1;

    private const string Library = "libc";

    /// <summary>The raw system call entry point; unused trailing arguments are passed as 0 (the kernel reads every register its call defines).</summary>
    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    internal static partial long Syscall(long number, nint argument1, nint argument2, nint argument3, nint argument4);

    /// <summary><c>prctl(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "prctl", SetLastError = true)]
    internal static partial int Prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);

    /// <summary><c>socket(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    /// <summary><c>connect(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    internal static partial int Connect(int socket, void* address, uint addressLength);

    /// <summary><c>dup3(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "dup3", SetLastError = true)]
    internal static partial int Dup3(int oldDescriptor, int newDescriptor, int flags);

    /// <summary><c>fcntl(2)</c> with an integer argument.</summary>
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int descriptor, int command, int argument);

    /// <summary><c>open(2)</c> of a NUL-terminated UTF-8 path.</summary>
    [LibraryImport(Library, EntryPoint = "open", SetLastError = true)]
    internal static partial int Open(byte* path, int flags, int mode);

    /// <summary><c>close(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int descriptor);

    /// <summary><c>setrlimit(2)</c>; <paramref name="limit"/> points at two <c>rlim_t</c> (soft, hard).</summary>
    [LibraryImport(Library, EntryPoint = "setrlimit", SetLastError = true)]
    internal static partial int SetResourceLimit(int resource, ulong* limit);

    /// <summary><c>capset(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "capset", SetLastError = true)]
    internal static partial int CapabilitySet(void* header, void* data);

    /// <summary><c>capget(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "capget", SetLastError = true)]
    internal static partial int CapabilityGet(void* header, void* data);

    /// <summary><c>execve(2)</c>; returns only on failure.</summary>
    [LibraryImport(Library, EntryPoint = "execve", SetLastError = true)]
    internal static partial int Execve(byte* path, byte** arguments, byte** environment);

    /// <summary><c>write(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int descriptor, byte* buffer, nuint count);

    /// <summary><c>getpid(2)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "getpid")]
    internal static partial int GetProcessId();

    /// <summary>The <c>errno</c> of the last call above, as a message with its number.</summary>
    /// <returns>For example "Permission denied (errno 13)".</returns>
    internal static string LastError()
    {
        int errno = Marshal.GetLastPInvokeError();
        return $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
    }
}
