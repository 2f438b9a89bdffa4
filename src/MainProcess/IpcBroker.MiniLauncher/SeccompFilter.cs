namespace IpcBroker.MiniLauncher;

/// <summary>
/// Step 6: the seccomp deny-list. Everything is allowed except: a foreign architecture's or x32 call (kills the
/// process); <c>socket()</c> (EACCES, except IPv4, IPv6 and netlink with the network); the calls that reach into other
/// processes or the kernel's global state (EPERM); <c>clone3</c> (ENOSYS, whose flags live in memory a filter cannot
/// read, so glibc falls back to <c>clone</c>); <c>clone</c> with a namespace flag and <c>ioctl(TIOCSTI)</c> (EPERM); the
/// metadata writes Landlock does not control (chmod, chown, xattr and utimes by path or descriptor; EPERM), with
/// <c>fchmod</c> kept for harmless modes and <c>utimensat</c> for its descriptor form; <c>prlimit64</c> on another process,
/// System V IPC and POSIX message queues, inode flags (<c>file_setattr</c>, <c>FS_IOC_SETFLAGS</c>,
/// <c>FS_IOC_FSSETXATTR</c>) and scheduling or priorities of any process but the caller (EPERM); <c>socketpair</c> of any
/// type but stream and seqpacket (EACCES).
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
    private const uint SetInodeFlags = 0x40086602;        // FS_IOC_SETFLAGS
    private const uint SetInodeFlags32 = 0x40046602;      // FS_IOC32_SETFLAGS
    private const uint SetInodeAttributes = 0x401C5820;   // FS_IOC_FSSETXATTR

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

        // Metadata writes Landlock does not control (ABI <= 7): a capability-less uid 0 (or the host's own uid) owns the
        // host's files, /etc/passwd and the system's binaries, so chmod/chown/xattr/utimes would reach every one of them by
        // path, or through a read-only descriptor of a granted file.
        // fchmod is allowed below with a harmless mode only (node's and .NET's file copy set the copy's mode with it);
        // utimensat only in its descriptor form (futimens).
        "chmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
        "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "setxattrat", "removexattrat",
        "utime", "utimes", "futimesat",

        // System V IPC and POSIX message queues live in the host's IPC namespace, shared by uid, outside Landlock.
        "shmget", "shmat", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl",
        "mq_open", "mq_unlink", "fanotify_init",

        // Linux 6.17's inode attributes by path (append-only, sync, nodump, ...), as FS_IOC_SETFLAGS below by descriptor.
        "file_setattr",
    ];

    // The path calls that newer architectures (aarch64) do not have: their libc uses the *at forms, refused above too.
    private static readonly HashSet<string> LegacyPathCalls = ["chmod", "chown", "lchown", "utime", "utimes", "futimesat"];

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
            // aarch64 has only the *at forms: the legacy path calls are absent from its table, and only they may be.
            if (table.Numbers.TryGetValue(name, out uint number))
            {
                filter.IfEqual(number, "eperm");
            }
            else if (!LegacyPathCalls.Contains(name))
            {
                throw new InvalidOperationException($"the {table.Name} system call table has no number for {name}");
            }
        }

        filter.IfEqual(table.Numbers["clone3"], "enosys")
            .IfEqual(table.Numbers["socket"], "socket")
            .IfEqual(table.Numbers["clone"], "clone")
            .IfEqual(table.Numbers["ioctl"], "ioctl")
            .IfEqual(table.Numbers["prlimit64"], "prlimit")
            .IfEqual(table.Numbers["socketpair"], "socketpair")
            .IfEqual(table.Numbers["fchmod"], "fchmod")
            .IfEqual(table.Numbers["utimensat"], "utimensat")
            .IfEqual(table.Numbers["sched_setparam"], "self-only")
            .IfEqual(table.Numbers["sched_setscheduler"], "self-only")
            .IfEqual(table.Numbers["sched_setaffinity"], "self-only")
            .IfEqual(table.Numbers["sched_setattr"], "self-only")
            .IfEqual(table.Numbers["setpriority"], "setpriority")
            .IfEqual(table.Numbers["ioprio_set"], "ioprio")
            .Jump("allow");

        // Scheduling another process of the same uid (a non-root host's) needs no capability and Landlock does not scope
        // it: SCHED_IDLE, one CPU, nice 19 would starve the host. Only the caller itself (pid 0) may be changed.
        filter.Label("self-only").Load(FirstArgumentOffset).IfEqual(0, "allow", "eperm");

        // setpriority(PRIO_PROCESS = 0, 0, n) and ioprio_set(IOPRIO_WHO_PROCESS = 1, 0, n) only: PRIO_USER would renice every
        // process of the user at once.
        filter.Label("setpriority").Load(FirstArgumentOffset).IfEqual(0, null, "eperm").Load(SecondArgumentOffset).IfEqual(0, "allow", "eperm");
        filter.Label("ioprio").Load(FirstArgumentOffset).IfEqual(1, null, "eperm").Load(SecondArgumentOffset).IfEqual(0, "allow", "eperm");

        // fchmod works on a read-only descriptor too, e.g. of a granted root-owned library or /etc/passwd: no set-id bit,
        // no group or other write bit, and at least the owner's read (so that a granted file cannot be made unreadable).
        filter.Label("fchmod").Load(SecondArgumentOffset).And(0x800 | 0x400 | 0x12 /* S_ISUID | S_ISGID | S_IWGRP | S_IWOTH */).IfEqual(0, null, "eperm")
            .Load(SecondArgumentOffset).And(0x100).IfEqual(0x100, "allow", "eperm");

        // utimensat(fd, NULL, ...) is futimens; a path names any file.
        filter.Label("utimensat").Load(SecondArgumentOffset).IfEqual(0, null, "eperm").Load(SecondArgumentOffset + 4).IfEqual(0, "allow", "eperm");

        // prlimit64 on another process (same uid suffices, Landlock does not scope it) could set the host's RLIMIT_CPU
        // and so have the kernel kill it: only pid 0 (the caller, as glibc's setrlimit/getrlimit pass it) is allowed.
        filter.Label("prlimit").Load(FirstArgumentOffset).IfEqual(0, "allow", "eperm");

        // An unconnected AF_UNIX datagram socket from socketpair can connect() or sendto() any pathname datagram socket
        // (journald, /dev/log, another program's): Landlock below ABI 8 does not control that. Only stream and seqpacket
        // pairs are allowed (they cannot be re-connected); an allow-list, because the kernel turns SOCK_RAW into a datagram
        // pair too.
        filter.Label("socketpair").Load(SecondArgumentOffset).And(0xF).IfEqual(1 /* SOCK_STREAM */, "allow").IfEqual(5 /* SOCK_SEQPACKET */, "allow", "eacces");

        filter.Label("socket").Load(FirstArgumentOffset);
        if (network)
        {
            filter.IfEqual(2 /* AF_INET */, "allow").IfEqual(10 /* AF_INET6 */, "allow").IfEqual(16 /* AF_NETLINK */, "allow");
        }

        filter.Jump("eacces");
        filter.Label("clone").Load(FirstArgumentOffset).IfAnyBitSet(NamespaceFlags, "eperm", "allow");
        filter.Label("ioctl").Load(SecondArgumentOffset).IfEqual(TerminalInjectCharacter, "eperm")
            .IfEqual(SetInodeFlags, "eperm").IfEqual(SetInodeFlags32, "eperm").IfEqual(SetInodeAttributes, "eperm", "allow");

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
