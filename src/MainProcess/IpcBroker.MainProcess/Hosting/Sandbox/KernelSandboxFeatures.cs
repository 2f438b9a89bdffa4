namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>What the kernel this host runs on offers a sandbox, as probed once at host start.</summary>
/// <param name="LandlockAbi">The Landlock ABI version, 0 when Landlock is absent or disabled.</param>
/// <param name="LandlockMissingReason">Why there is no Landlock, or null.</param>
/// <param name="Seccomp">Whether seccomp filters are available on an architecture the launcher's filter knows.</param>
/// <param name="SeccompMissingReason">Why there is no seccomp, or null.</param>
internal sealed record KernelSandboxFeatures(int LandlockAbi, string? LandlockMissingReason, bool Seccomp, string? SeccompMissingReason);
