namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>The sandbox one mini process was started in, as <c>list --json</c> shows it.</summary>
/// <param name="Protections">
/// What was applied, in the launcher's order: <c>clean environment</c>, <c>private scratch directory</c>, <c>cgroup</c>,
/// <c>rlimits</c>, <c>pre-connected socket</c>, <c>no new privileges</c>, <c>capabilities dropped</c>,
/// <c>landlock ABI N</c>, <c>seccomp</c>.
/// </param>
/// <param name="Network">
/// Whether it may open network connections: its appId is in <see cref="MiniSandboxOptions.NetworkAppIds"/>, or nothing
/// stops it (no seccomp filter: the sandbox is off or the kernel lacks it).
/// </param>
/// <param name="Limits">Its resource limits, each with what enforces it.</param>
public sealed record MiniProcessSandbox(IReadOnlyList<string> Protections, bool Network, IReadOnlyList<MiniProcessLimit> Limits);
