using System.Runtime.InteropServices;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// Which resource limits a mini process gets and what enforces each: its cgroup where the host has one for it, else the
/// rlimits the launcher sets and the .NET heap limit in its environment.
/// </summary>
internal static class MiniProcessLimits
{
    /// <summary>The most descriptors a mini process may have open (or the host's own hard limit, if lower).</summary>
    public const long MaxOpenFiles = 4096;

    private const int RlimitNofile = 7;

    /// <summary>Gets the rlimits the launcher sets, whatever else enforces limits: no core dumps (a core holds the process's memory, its secret included), and a bounded number of descriptors.</summary>
    /// <returns>Name to value, in the launcher's names.</returns>
    public static List<KeyValuePair<string, long>> ResourceLimits() =>
    [
        new("core", 0),
        new("nofile", Math.Min(MaxOpenFiles, HardOpenFilesLimit())),
    ];

    /// <summary>Describes the limits of one mini process.</summary>
    /// <param name="options">The host's sandbox options.</param>
    /// <param name="cgroup">What its cgroup is (<c>cgroup v2</c>, <c>cgroup v1</c>), or null when it has none.</param>
    /// <param name="launcher">Whether it is started through the launcher (which sets the rlimits).</param>
    /// <returns>Each limit with what enforces it.</returns>
    public static List<MiniProcessLimit> Describe(MiniSandboxOptions options, string? cgroup, bool launcher)
    {
        var limits = new List<MiniProcessLimit>();
        if (options.MemoryLimitBytes is { } memory)
        {
            limits.Add(new MiniProcessLimit("memoryBytes", memory, cgroup ?? ".NET heap limit (advisory: a native mini ignores it)"));
        }

        if (options.CpuLimit is { } cpu)
        {
            limits.Add(new MiniProcessLimit("cpuCores", cpu, cgroup ?? "not enforced"));
        }

        if (options.MaxTasks is { } tasks)
        {
            limits.Add(new MiniProcessLimit("tasks", tasks, cgroup ?? "not enforced"));
        }

        if (launcher)
        {
            foreach ((string name, long value) in ResourceLimits())
            {
                limits.Add(new MiniProcessLimit(name == "core" ? "coreDumpBytes" : "openFiles", value, "rlimit"));
            }
        }

        return limits;
    }

    /// <summary>The host's own hard limit of open descriptors: the launcher cannot raise a child's above it.</summary>
    private static long HardOpenFilesLimit()
    {
        if (!OperatingSystem.IsLinux() || GetRlimit(RlimitNofile, out RLimit limit) != 0)
        {
            return MaxOpenFiles;
        }

        return limit.Max > long.MaxValue ? long.MaxValue : (long)limit.Max;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRlimit(int resource, out RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }
}
