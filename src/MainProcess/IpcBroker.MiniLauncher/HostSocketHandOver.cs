namespace IpcBroker.MiniLauncher;

/// <summary>
/// Step 3: connects the host's Unix socket, keeps every descriptor above the standard three from reaching the program
/// (close-on-exec), and, as the very last thing before execve, places the connection on fd 3, inheritable.
/// </summary>
/// <remarks>
/// The connection is made before any restriction, because the program itself gets no <c>socket()</c>: this one
/// connection to its own host is the only socket it will ever have. It is moved to fd 3 only just before execve because
/// the launcher's own runtime holds fd 3 until then (the .NET runtime opens a pipe on 3 and 4 at start-up, read by one
/// of its threads); replacing it earlier would let that thread read what the host sends.
/// </remarks>
internal static unsafe class HostSocketHandOver
{
    /// <summary>The descriptor the program finds the connection on (launch line field <c>socketFd</c>).</summary>
    public const int SocketDescriptor = 3;

    private const int SocketAddressPathLength = 108;
    private const long CloseRangeSyscall = 436;
    private const int CloseRangeCloseOnExec = 4;

    /// <summary>Connects <paramref name="socketPath"/>.</summary>
    /// <param name="socketPath">The host's socket.</param>
    /// <returns>The connected descriptor (close-on-exec until <see cref="MoveToDescriptor3"/>).</returns>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Descriptors"/>.</exception>
    public static int Connect(string socketPath)
    {
        byte[] path = System.Text.Encoding.UTF8.GetBytes(socketPath);
        if (path.Length >= SocketAddressPathLength)
        {
            throw Failed($"socket path is {path.Length} bytes, longer than sun_path allows: {socketPath}");
        }

        // struct sockaddr_un: sa_family_t (2 bytes), then the NUL-terminated path.
        byte* address = stackalloc byte[2 + SocketAddressPathLength];
        new Span<byte>(address, 2 + SocketAddressPathLength).Clear();
        *(ushort*)address = Libc.AddressFamilyUnix;
        path.CopyTo(new Span<byte>(address + 2, SocketAddressPathLength));

        int socket = Libc.Socket(Libc.AddressFamilyUnix, Libc.SocketTypeStream | Libc.SocketCloseOnExec, 0);
        if (socket < 0)
        {
            throw Failed($"socket: {Libc.LastError()}");
        }

        if (Libc.Connect(socket, address, (uint)(2 + path.Length + 1)) != 0)
        {
            throw Failed($"connect {socketPath}: {Libc.LastError()}");
        }

        return socket;
    }

    /// <summary>Places the connection on fd 3 without close-on-exec (replacing whatever the launcher's runtime had there).</summary>
    /// <param name="socket">The descriptor from <see cref="Connect"/>.</param>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Descriptors"/>.</exception>
    public static void MoveToDescriptor3(int socket)
    {
        if (socket == SocketDescriptor)
        {
            // Already on 3 (fd 3 was free): only its close-on-exec flag has to go.
            if (Libc.Fcntl(socket, Libc.FcntlSetDescriptorFlags, 0) != 0)
            {
                throw Failed($"fcntl(3, F_SETFD, 0): {Libc.LastError()}");
            }

            return;
        }

        // dup3 without O_CLOEXEC: the copy on 3 is inherited across execve; the original keeps its close-on-exec flag.
        if (Libc.Dup3(socket, SocketDescriptor, 0) != SocketDescriptor)
        {
            throw Failed($"dup3({socket}, 3): {Libc.LastError()}");
        }
    }

    /// <summary>Marks every descriptor from <paramref name="first"/> up close-on-exec.</summary>
    /// <param name="first">The lowest descriptor the program must not inherit.</param>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Descriptors"/>.</exception>
    public static void MarkCloseOnExecFrom(int first)
    {
        if (Libc.Syscall(CloseRangeSyscall, first, unchecked((nint)uint.MaxValue), CloseRangeCloseOnExec, 0) == 0)
        {
            return;
        }

        // close_range's CLOSE_RANGE_CLOEXEC needs Linux 5.11; walk the open descriptors instead. The list is read whole
        // first, so that the descriptor that reads the directory is in it too (and gets the flag, harmlessly).
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int descriptor) || descriptor < first)
            {
                continue;
            }

            int flags = Libc.Fcntl(descriptor, Libc.FcntlGetDescriptorFlags, 0);
            if (flags >= 0 && Libc.Fcntl(descriptor, Libc.FcntlSetDescriptorFlags, flags | Libc.DescriptorCloseOnExec) != 0)
            {
                throw Failed($"fcntl({descriptor}, F_SETFD, FD_CLOEXEC): {Libc.LastError()}");
            }
        }
    }

    private static LaunchStepException Failed(string message) => new(LauncherExitCode.Descriptors, message);
}
