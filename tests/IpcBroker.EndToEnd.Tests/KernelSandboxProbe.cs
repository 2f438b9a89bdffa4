using System.Runtime.InteropServices;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>What the kernel running the tests offers for the launcher's sandbox, to skip tests (with the reason) where it lacks it.</summary>
internal static class KernelSandboxProbe
{
    /// <summary>Gets the kernel's Landlock ABI version (0 = none).</summary>
    public static int LandlockAbi { get; } = ProbeLandlockAbi();

    /// <summary>Gets a value indicating whether seccomp filters are available.</summary>
    public static bool Seccomp { get; } = OperatingSystem.IsLinux() && Prctl(21 /* PR_GET_SECCOMP */, 0, 0, 0, 0) >= 0;

    /// <summary>Gets a value indicating whether the launcher's full sandbox (Landlock ABI >= 6 and seccomp) can run here.</summary>
    public static bool FullSandbox => LandlockAbi >= 6 && Seccomp;

    /// <summary>Gets why <see cref="FullSandbox"/> is false.</summary>
    public static string FullSandboxMissing => $"the launcher's sandbox needs Linux with Landlock ABI >= 6 and seccomp; this kernel has Landlock ABI {LandlockAbi}, seccomp {(Seccomp ? "yes" : "no")}";

    private static int ProbeLandlockAbi()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return 0;
        }

        // landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): 444 on both x86_64 and aarch64.
        long abi = Syscall(444, 0, 0, 1, 0);
        return abi < 0 ? 0 : (int)abi;
    }

    [DllImport("libc", EntryPoint = "syscall")]
    private static extern long Syscall(long number, nint argument1, nint argument2, nint argument3, nint argument4);

    [DllImport("libc", EntryPoint = "prctl")]
    private static extern int Prctl(int option, nuint argument2, nuint argument3, nuint argument4, nuint argument5);
}
