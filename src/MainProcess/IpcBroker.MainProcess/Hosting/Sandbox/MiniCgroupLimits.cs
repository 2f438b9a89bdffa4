namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>The limits of one mini process's cgroup; null leaves a resource unlimited.</summary>
/// <param name="MemoryBytes">The memory limit in bytes (v2 <c>memory.max</c>, v1 <c>memory.limit_in_bytes</c>).</param>
/// <param name="Cpus">The processor time in cores (1.5 = one and a half), as a quota per 100 ms period.</param>
/// <param name="MaxTasks">The most processes and threads (<c>pids.max</c>).</param>
internal sealed record MiniCgroupLimits(long? MemoryBytes, double? Cpus, int? MaxTasks);
