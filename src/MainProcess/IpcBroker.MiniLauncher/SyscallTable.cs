using System.Runtime.InteropServices;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// The system call numbers the seccomp filter names, for one architecture (x86_64: arch/x86/entry/syscalls/syscall_64.tbl;
/// aarch64: include/uapi/asm-generic/unistd.h), and the <c>AUDIT_ARCH_*</c> value the kernel reports for it.
/// </summary>
internal sealed class SyscallTable
{
    private SyscallTable(string name, uint auditArchitecture, bool hasX32, Dictionary<string, uint> numbers)
    {
        this.Name = name;
        this.AuditArchitecture = auditArchitecture;
        this.HasX32 = hasX32;
        this.Numbers = numbers;
    }

    /// <summary>Gets the architecture's name.</summary>
    public string Name { get; }

    /// <summary>Gets the <c>seccomp_data.arch</c> value of this architecture's native calls.</summary>
    public uint AuditArchitecture { get; }

    /// <summary>Gets a value indicating whether the architecture has the x32 ABI (numbers with bit 30 set).</summary>
    public bool HasX32 { get; }

    /// <summary>Gets the numbers by system call name.</summary>
    public IReadOnlyDictionary<string, uint> Numbers { get; }

    /// <summary>Gets the table of the architecture this process runs on.</summary>
    /// <returns>The table, or null on an architecture the filter does not support.</returns>
    public static SyscallTable? ForThisProcess() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => X86_64(),
        Architecture.Arm64 => Aarch64(),
        _ => null,
    };

    private static SyscallTable X86_64() => new("x86_64", 0xC000003E /* EM_X86_64 | 64BIT | LE */, hasX32: true, new()
    {
        ["socket"] = 41, ["clone"] = 56, ["clone3"] = 435, ["ioctl"] = 16,
        ["ptrace"] = 101, ["process_vm_readv"] = 310, ["process_vm_writev"] = 311, ["kcmp"] = 312, ["pidfd_getfd"] = 438,
        ["io_uring_setup"] = 425, ["io_uring_enter"] = 426, ["io_uring_register"] = 427,
        ["bpf"] = 321, ["perf_event_open"] = 298, ["userfaultfd"] = 323,
        ["add_key"] = 248, ["request_key"] = 249, ["keyctl"] = 250,
        ["mount"] = 165, ["umount2"] = 166, ["pivot_root"] = 155, ["open_tree"] = 428, ["move_mount"] = 429,
        ["fsopen"] = 430, ["fsconfig"] = 431, ["fsmount"] = 432, ["fspick"] = 433, ["mount_setattr"] = 442,
        ["unshare"] = 272, ["setns"] = 308, ["chroot"] = 161,
        ["open_by_handle_at"] = 304, ["name_to_handle_at"] = 303,
        ["init_module"] = 175, ["finit_module"] = 313, ["delete_module"] = 176,
        ["kexec_load"] = 246, ["kexec_file_load"] = 320, ["reboot"] = 169,
        ["swapon"] = 167, ["swapoff"] = 168, ["acct"] = 163,
        ["prlimit64"] = 302, ["socketpair"] = 53,
        ["chmod"] = 90, ["fchmod"] = 91, ["fchmodat"] = 268, ["fchmodat2"] = 452,
        ["chown"] = 92, ["fchown"] = 93, ["lchown"] = 94, ["fchownat"] = 260,
        ["setxattr"] = 188, ["lsetxattr"] = 189, ["fsetxattr"] = 190, ["removexattr"] = 197, ["lremovexattr"] = 198, ["fremovexattr"] = 199,
        ["setxattrat"] = 463, ["removexattrat"] = 466,
        ["utime"] = 132, ["utimes"] = 235, ["futimesat"] = 261, ["utimensat"] = 280,
        ["shmget"] = 29, ["shmat"] = 30, ["shmctl"] = 31, ["semget"] = 64, ["semop"] = 65, ["semtimedop"] = 220, ["semctl"] = 66,
        ["msgget"] = 68, ["msgsnd"] = 69, ["msgrcv"] = 70, ["msgctl"] = 71, ["mq_open"] = 240, ["mq_unlink"] = 241, ["fanotify_init"] = 300,
        ["file_setattr"] = 469, ["sched_setparam"] = 142, ["sched_setscheduler"] = 144, ["sched_setaffinity"] = 203, ["sched_setattr"] = 314,
        ["setpriority"] = 141, ["ioprio_set"] = 251,
    });

    private static SyscallTable Aarch64() => new("aarch64", 0xC00000B7 /* EM_AARCH64 | 64BIT | LE */, hasX32: false, new()
    {
        ["socket"] = 198, ["clone"] = 220, ["clone3"] = 435, ["ioctl"] = 29,
        ["ptrace"] = 117, ["process_vm_readv"] = 270, ["process_vm_writev"] = 271, ["kcmp"] = 272, ["pidfd_getfd"] = 438,
        ["io_uring_setup"] = 425, ["io_uring_enter"] = 426, ["io_uring_register"] = 427,
        ["bpf"] = 280, ["perf_event_open"] = 241, ["userfaultfd"] = 282,
        ["add_key"] = 217, ["request_key"] = 218, ["keyctl"] = 219,
        ["mount"] = 40, ["umount2"] = 39, ["pivot_root"] = 41, ["open_tree"] = 428, ["move_mount"] = 429,
        ["fsopen"] = 430, ["fsconfig"] = 431, ["fsmount"] = 432, ["fspick"] = 433, ["mount_setattr"] = 442,
        ["unshare"] = 97, ["setns"] = 268, ["chroot"] = 51,
        ["open_by_handle_at"] = 265, ["name_to_handle_at"] = 264,
        ["init_module"] = 105, ["finit_module"] = 273, ["delete_module"] = 106,
        ["kexec_load"] = 104, ["kexec_file_load"] = 294, ["reboot"] = 142,
        ["swapon"] = 224, ["swapoff"] = 225, ["acct"] = 89,
        ["prlimit64"] = 261, ["socketpair"] = 199,
        ["fchmod"] = 52, ["fchmodat"] = 53, ["fchmodat2"] = 452, ["fchownat"] = 54, ["fchown"] = 55,
        ["setxattr"] = 5, ["lsetxattr"] = 6, ["fsetxattr"] = 7, ["removexattr"] = 14, ["lremovexattr"] = 15, ["fremovexattr"] = 16,
        ["setxattrat"] = 463, ["removexattrat"] = 466, ["utimensat"] = 88,
        ["shmget"] = 194, ["shmat"] = 196, ["shmctl"] = 195, ["semget"] = 190, ["semop"] = 193, ["semtimedop"] = 192, ["semctl"] = 191,
        ["msgget"] = 186, ["msgsnd"] = 189, ["msgrcv"] = 188, ["msgctl"] = 187, ["mq_open"] = 180, ["mq_unlink"] = 181, ["fanotify_init"] = 262,
        ["file_setattr"] = 469, ["sched_setparam"] = 118, ["sched_setscheduler"] = 119, ["sched_setaffinity"] = 122, ["sched_setattr"] = 274,
        ["setpriority"] = 140, ["ioprio_set"] = 30,
    });
}
