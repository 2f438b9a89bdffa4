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
    });
}
