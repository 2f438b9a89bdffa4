namespace IpcBroker.MiniLauncher;

/// <summary>
/// Step 6: the seccomp deny-list. Everything is allowed except: a foreign architecture's or x32 call (kills the
/// process); <c>socket()</c> (EACCES, except IPv4, IPv6 and netlink with the network); the calls that reach into other
/// processes or the kernel's global state (EPERM); <c>clone3</c> (ENOSYS, whose flags live in memory a filter cannot
/// read, so glibc falls back to <c>clone</c>); <c>clone</c> with a namespace flag and <c>ioctl(TIOCSTI)</c> (EPERM).
/// </summary>
/// <remarks>
/// A deny-list, not an allow-list: the programs it runs (.NET, node, shells) use hundreds of calls that change between
/// versions. The filter is installed with prctl on the calling thread only (no TSYNC), like Landlock, and execve carries
/// it to the program.
/// </remarks>
internal static unsafe class SeccompFilter
{
    private const uint ReturnKillProcess = 0x80000000;
    private const uint ReturnErrno = 0x00050000;
    private const uint ReturnAllow = 0x7FFF0000;
    private const uint PermissionDenied = 1;   // EPERM
    private const uint AccessDenied = 13;      // EACCES
    private const uint NotImplemented = 38;    // ENOSYS
    private const uint X32SyscallBit = 0x40000000;
    private const uint TerminalInjectCharacter = 0x5412; // TIOCSTI

    // CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.
    // (CLONE_NEWTIME only exists for clone3 and unshare, both refused.)
    private const uint NamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. The filter reads the low word
    // of an argument (little-endian): the kernel itself truncates domain, cmd and the clone flags' namespace bits to 32.
    private const uint NumberOffset = 0;
    private const uint ArchitectureOffset = 4;
    private const uint FirstArgumentOffset = 16;
    private const uint SecondArgumentOffset = 24;

    private const int SetSeccomp = 22;
    private const int SeccompModeFilter = 2;

    // The calls refused with EPERM: tracing or reading other processes, kernel attack surface a mini program has no use
    // for (io_uring, bpf, perf, userfaultfd, keyrings), and everything that changes mounts, namespaces or the system.
    private static readonly string[] Refused =
    [
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
        "add_key", "request_key", "keyctl",
        "mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        "unshare", "setns", "chroot", "open_by_handle_at", "name_to_handle_at",
        "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct",
    ];

    /// <summary>Builds the filter for an architecture.</summary>
    /// <param name="table">The architecture's system call numbers.</param>
    /// <param name="network">True to let <c>socket()</c> create IPv4, IPv6 and netlink sockets.</param>
    /// <returns>The encoded program.</returns>
    public static byte[] Build(SyscallTable table, bool network)
    {
        BpfProgramBuilder filter = new();
        filter.Load(ArchitectureOffset).IfEqual(table.AuditArchitecture, null, "kill");
        filter.Load(NumberOffset);
        if (table.HasX32)
        {
            filter.IfAtLeast(X32SyscallBit, "kill");
        }

        foreach (string name in Refused)
        {
            filter.IfEqual(table.Numbers[name], "eperm");
        }

        filter.IfEqual(table.Numbers["clone3"], "enosys")
            .IfEqual(table.Numbers["socket"], "socket")
            .IfEqual(table.Numbers["clone"], "clone")
            .IfEqual(table.Numbers["ioctl"], "ioctl")
            .Jump("allow");

        filter.Label("socket").Load(FirstArgumentOffset);
        if (network)
        {
            filter.IfEqual(2 /* AF_INET */, "allow").IfEqual(10 /* AF_INET6 */, "allow").IfEqual(16 /* AF_NETLINK */, "allow");
        }

        filter.Jump("eacces");
        filter.Label("clone").Load(FirstArgumentOffset).IfAnyBitSet(NamespaceFlags, "eperm", "allow");
        filter.Label("ioctl").Load(SecondArgumentOffset).IfEqual(TerminalInjectCharacter, "eperm", "allow");

        filter.Label("allow").Return(ReturnAllow);
        filter.Label("eperm").Return(ReturnErrno | PermissionDenied);
        filter.Label("eacces").Return(ReturnErrno | AccessDenied);
        filter.Label("enosys").Return(ReturnErrno | NotImplemented);
        filter.Label("kill").Return(ReturnKillProcess);
        return filter.Build();
    }

    /// <summary>Builds the filter for the architecture this process runs on.</summary>
    /// <param name="network">True to let the program create IPv4, IPv6 and netlink sockets.</param>
    /// <returns>The encoded program.</returns>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Seccomp"/>: an architecture without a table.</exception>
    public static byte[] BuildForThisProcess(bool network)
    {
        SyscallTable table = SyscallTable.ForThisProcess()
            ?? throw new LaunchStepException(LauncherExitCode.Seccomp, $"no seccomp filter for {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
        return Build(table, network);
    }

    /// <summary>Installs a filter on the calling thread (needs no_new_privs, set in step 4).</summary>
    /// <param name="program">The program from <see cref="BuildForThisProcess"/>.</param>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Seccomp"/>.</exception>
    public static void Install(byte[] program)
    {
        fixed (byte* instructions = program)
        {
            // struct sock_fprog: unsigned short len (padded to 8 bytes), then struct sock_filter *filter.
            nint* header = stackalloc nint[2];
            header[0] = program.Length / 8;
            header[1] = (nint)instructions;
            if (Libc.Prctl(SetSeccomp, SeccompModeFilter, (nuint)header, 0, 0) != 0)
            {
                throw new LaunchStepException(LauncherExitCode.Seccomp, $"prctl(PR_SET_SECCOMP): {Libc.LastError()}");
            }
        }
    }
}
