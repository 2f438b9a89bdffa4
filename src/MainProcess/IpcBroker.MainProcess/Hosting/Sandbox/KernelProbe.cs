using System.Runtime.InteropServices;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>Asks the kernel, without changing anything, which sandbox features it offers: Landlock's ABI and seccomp.</summary>
internal static class KernelProbe
{
    /// <summary>The number of <c>landlock_create_ruleset</c>, the same on x86_64 and aarch64 (a syscall added after their tables merged).</summary>
    private const long SysLandlockCreateRuleset = 444;

    /// <summary><c>LANDLOCK_CREATE_RULESET_VERSION</c>: with a null attribute and size 0, returns the highest ABI the kernel supports.</summary>
    private const uint LandlockCreateRulesetVersion = 1;

    /// <summary><c>PR_GET_SECCOMP</c>: 0 or 2 (the caller's mode) where seccomp exists, EINVAL where the kernel lacks it.</summary>
    private const int PrGetSeccomp = 21;

    private const int Enosys = 38;
    private const int Eopnotsupp = 95;

    /// <summary>Probes the running kernel.</summary>
    /// <returns>What it offers, with the reason for each thing it does not.</returns>
    public static KernelSandboxFeatures Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new KernelSandboxFeatures(0, "Landlock is Linux's", false, "seccomp is Linux's");
        }

        int abi = 0;
        string? landlockMissing = null;
        long version = Syscall(SysLandlockCreateRuleset, IntPtr.Zero, UIntPtr.Zero, LandlockCreateRulesetVersion);
        if (version > 0)
        {
            abi = (int)version;
        }
        else
        {
            int errno = Marshal.GetLastPInvokeError();
            landlockMissing = errno switch
            {
                Enosys => "the kernel has no Landlock",
                Eopnotsupp => "Landlock is built in but not enabled (the kernel's lsm= list)",
                _ => $"landlock_create_ruleset failed with errno {errno}",
            };
        }

        bool seccomp = false;
        string? seccompMissing = null;
        Architecture architecture = RuntimeInformation.ProcessArchitecture;
        if (architecture is not (Architecture.X64 or Architecture.Arm64))
        {
            seccompMissing = $"the launcher's filter knows x86_64 and aarch64, not {architecture}";
        }
        else if (Prctl(PrGetSeccomp, 0, 0, 0, 0) < 0)
        {
            seccompMissing = $"the kernel has no seccomp (prctl(PR_GET_SECCOMP) failed with errno {Marshal.GetLastPInvokeError()})";
        }
        else
        {
            seccomp = true;
        }

        return new KernelSandboxFeatures(abi, landlockMissing, seccomp, seccompMissing);
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, IntPtr attribute, UIntPtr size, uint flags);

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static extern int Prctl(int option, ulong argument2, ulong argument3, ulong argument4, ulong argument5);
}
