namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>Which cgroup interface the host can give each mini process a cgroup of its own with.</summary>
internal enum MiniCgroupMode
{
    /// <summary>None: limits fall back to the heap limit in the environment and rlimits.</summary>
    None,

    /// <summary>Cgroup v2: the host's own cgroup delegates memory, cpu and pids to children the host may create.</summary>
    V2,

    /// <summary>Cgroup v1: the host may create children of its cgroup in the memory, cpu and pids hierarchies.</summary>
    V1,
}
