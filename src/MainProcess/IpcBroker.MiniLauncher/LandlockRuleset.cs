using System.Runtime.InteropServices;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// Step 5: a Landlock ruleset that handles every file-system right of an ABI version (and TCP, and the signal and
/// abstract-socket scopes where the ABI has them), the paths it allows, and its enforcement on the calling thread.
/// </summary>
/// <remarks>
/// Landlock applies to the calling thread only (no TSYNC before ABI 8); execve from that thread carries the domain to
/// the program, and the other threads of the launcher's runtime vanish with the exec. The launcher therefore calls
/// <see cref="Restrict"/> on the thread that later calls execve.
/// </remarks>
internal sealed unsafe class LandlockRuleset : IDisposable
{
    private const long CreateRulesetSyscall = 444;
    private const long AddRuleSyscall = 445;
    private const long RestrictSelfSyscall = 446;
    private const int RulePathBeneath = 1;

    private readonly int descriptor;
    private readonly ulong handledFileSystem;

    private LandlockRuleset(int descriptor, ulong handledFileSystem)
    {
        this.descriptor = descriptor;
        this.handledFileSystem = handledFileSystem;
    }

    /// <summary>Creates a ruleset for an ABI version.</summary>
    /// <param name="abi">The Landlock ABI version whose rights are handled.</param>
    /// <param name="network">True to leave TCP unhandled (allowed); false to handle bind and connect (denied).</param>
    /// <returns>The ruleset.</returns>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Landlock"/>: e.g. the kernel's ABI is older.</exception>
    public static LandlockRuleset Create(int abi, bool network)
    {
        int kernelAbi = KernelAbi();
        if (kernelAbi < abi)
        {
            throw new LaunchStepException(LauncherExitCode.Landlock, kernelAbi == 0 ? "Landlock is not available in this kernel" : $"Landlock ABI {abi} was asked, the kernel has ABI {kernelAbi}");
        }

        // struct landlock_ruleset_attr grew with the ABI: handled_access_fs (1), handled_access_net (4), scoped (6). The
        // size passed tells the kernel which fields we know.
        ulong* attribute = stackalloc ulong[3];
        attribute[0] = LandlockAccess.FileSystemRights(abi);
        attribute[1] = network ? 0 : LandlockAccess.NetworkTcp;
        attribute[2] = LandlockAccess.ScopeAbstractUnixSocketAndSignal;
        int size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
        long fd = Libc.Syscall(CreateRulesetSyscall, (nint)attribute, size, 0, 0);
        if (fd < 0)
        {
            throw new LaunchStepException(LauncherExitCode.Landlock, $"landlock_create_ruleset (ABI {abi}): {Libc.LastError()}");
        }

        return new LandlockRuleset((int)fd, attribute[0]);
    }

    /// <summary>Gets the highest Landlock ABI version the kernel supports.</summary>
    /// <returns>The version, or 0 when Landlock is absent or disabled.</returns>
    public static int KernelAbi()
    {
        long abi = Libc.Syscall(CreateRulesetSyscall, 0, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */, 0);
        return abi < 0 ? 0 : (int)abi;
    }

    /// <summary>Allows <paramref name="access"/> beneath <paramref name="path"/> (or on it, for a file).</summary>
    /// <param name="path">The directory or file.</param>
    /// <param name="access">The rights; for a non-directory only the file rights among them are used.</param>
    /// <param name="required">False to skip a path that does not exist (the built-in list); true to fail.</param>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Landlock"/>.</exception>
    public void Allow(string path, ulong access, bool required)
    {
        byte* native = NativeStrings.Copy(path);
        int parent = Libc.Open(native, Libc.OpenPath | Libc.OpenCloseOnExec, 0);
        Marshal.FreeCoTaskMem((nint)native);
        if (parent < 0)
        {
            if (!required && Marshal.GetLastPInvokeError() == 2 /* ENOENT */)
            {
                return;
            }

            throw new LaunchStepException(LauncherExitCode.Landlock, $"cannot open {path} for a Landlock rule: {Libc.LastError()}");
        }

        try
        {
            if (!Directory.Exists(path))
            {
                access &= LandlockAccess.FileRights;
            }

            // struct landlock_path_beneath_attr is packed: __u64 allowed_access, then __s32 parent_fd (12 bytes).
            byte* rule = stackalloc byte[12];
            *(ulong*)rule = access & this.handledFileSystem;
            *(int*)(rule + 8) = parent;
            if (Libc.Syscall(AddRuleSyscall, this.descriptor, RulePathBeneath, (nint)rule, 0) != 0)
            {
                throw new LaunchStepException(LauncherExitCode.Landlock, $"landlock_add_rule {path}: {Libc.LastError()}");
            }
        }
        finally
        {
            _ = Libc.Close(parent);
        }
    }

    /// <summary>Enforces the ruleset on the calling thread (needs no_new_privs, set in step 4).</summary>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Landlock"/>.</exception>
    public void Restrict()
    {
        if (Libc.Syscall(RestrictSelfSyscall, this.descriptor, 0, 0, 0) != 0)
        {
            throw new LaunchStepException(LauncherExitCode.Landlock, $"landlock_restrict_self: {Libc.LastError()}");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _ = Libc.Close(this.descriptor);
}
