namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// How the host boxes in each mini process it starts: which protections it insists on, which mini programs may use the
/// network, the resource limits, and what each mini process may read and write besides its own directories.
/// </summary>
/// <remarks>
/// Every mini process gets, whatever the mode: a cleared environment (see <see cref="Environment"/>), its sandbox
/// directory (or a private scratch directory) as working directory and <c>HOME</c>, and a scratch directory as
/// <c>TMPDIR</c>, removed once the process has exited. On Linux, unless <see cref="Mode"/> is
/// <see cref="MiniSandboxMode.Off"/>, it is started through the host's launcher, which applies Landlock, seccomp, no new
/// privileges, no capabilities and the limits before the mini executable's own code runs.
/// </remarks>
public sealed record MiniSandboxOptions
{
    /// <summary>Gets or sets how much of the sandbox is insisted on (<see cref="MiniSandboxMode.Auto"/>).</summary>
    public MiniSandboxMode Mode { get; set; } = MiniSandboxMode.Auto;

    /// <summary>Gets or sets the appIds whose processes may open network connections (TCP, UDP, netlink); none by default.</summary>
    public IReadOnlySet<string> NetworkAppIds { get; set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets the memory a mini process may use, in bytes (512 MiB); null for no limit. Enforced by its cgroup where the host
    /// may create one; the .NET heap limit (<c>DOTNET_GCHeapHardLimit</c>) is set in every case.
    /// </summary>
    public long? MemoryLimitBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Gets or sets the CPU time a mini process may use, in cores (1.0); null for no limit. Enforced only by a cgroup.</summary>
    public double? CpuLimit { get; set; } = 1.0;

    /// <summary>Gets or sets how many processes and threads a mini process may have at once (256); null for no limit. Enforced only by a cgroup.</summary>
    public int? MaxTasks { get; set; } = 256;

    /// <summary>
    /// Gets or sets more paths every mini process may read and execute. Granted already: the system's libraries and a few files
    /// of /etc, /dev and /proc (the launcher's own list), the directories of the mini's <c>PATH</c>
    /// (<c>/usr/local/bin:/usr/bin:/bin</c>), the .NET runtime the host runs on, and the mini executable's directory.
    /// </summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; set; } = [];

    /// <summary>
    /// Gets or sets more paths every mini process may read and write, besides its own sandbox and scratch directories. A path given
    /// here is shared by every mini program: keep the host's own data out of it.
    /// </summary>
    public IReadOnlyList<string> ReadWritePaths { get; set; } = [];

    /// <summary>Gets or sets more environment variables every mini process gets (they override the host's allow-listed ones).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the launcher's dll, run with the dotnet host; null for <c>launcher/IpcBroker.MiniLauncher.dll</c> beside the
    /// host. A seam for the tests (a path that does not exist is a machine without the launcher).
    /// </summary>
    internal string? LauncherPath { get; init; }

    /// <summary>Gets the cgroups to use (null: what this machine offers, probed once per process); a seam for the tests.</summary>
    internal MiniCgroupSupport? Cgroups { get; init; }

    /// <summary>Gets a replacement of the kernel probe (null: probe the kernel); a seam for the tests.</summary>
    internal Func<KernelSandboxFeatures>? ProbeKernel { get; init; }
}
