using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// What cgroup mode this host may use for its mini processes (probed once, with the reason), and the factory of each
/// mini process's own cgroup, <c>ipcb-mini-&lt;16 hex&gt;</c> below the host's cgroup.
/// </summary>
/// <remarks>
/// V2 when the host's own v2 cgroup delegates memory, cpu and pids to its children (its <c>cgroup.subtree_control</c>
/// lists them) and a child can be made; else v1 when a child can be made in the memory hierarchy (and, each where it
/// can, the cpu and pids hierarchies); else none. The probe proves writability by making and removing a child, since
/// permissions, read-only mounts and delegation all decide it. Thread-safe: instances are immutable.
/// <para>
/// Under v2's no-internal-processes rule a cgroup that holds processes (the host's own) cannot enable controllers for
/// its children, so v2 is found only where the host's cgroup already delegates them (the root cgroup, or a delegated
/// cgroup set up that way by whoever started the host). The host is never moved to another cgroup to make it so.
/// </para>
/// </remarks>
internal sealed class MiniCgroupSupport
{
    /// <summary>The prefix of every mini process's cgroup (the control socket refuses peers in such a cgroup).</summary>
    public const string NamePrefix = "ipcb-mini-";

    // The kernel's default period; the quota is the processor time per period, at least the kernel's 1 ms minimum.
    private const long CpuPeriodMicroseconds = 100_000;

    private static readonly Lazy<MiniCgroupSupport> LazyCurrent = new(() => Probe("/proc/self/cgroup", "/proc/self/mountinfo"));

    private readonly IReadOnlyList<CgroupHierarchy> hierarchies;

    private MiniCgroupSupport(MiniCgroupMode mode, string reason, IReadOnlyList<CgroupHierarchy> hierarchies)
    {
        this.Mode = mode;
        this.Reason = reason;
        this.hierarchies = hierarchies;
    }

    /// <summary>Gets the mode of this host, probed on first use.</summary>
    public static MiniCgroupSupport Current => LazyCurrent.Value;

    /// <summary>Gets the mode.</summary>
    public MiniCgroupMode Mode { get; }

    /// <summary>Gets why this mode: what was found usable, and why the better modes were not.</summary>
    public string Reason { get; }

    /// <summary>Gets the name of the mode for <c>MiniProcessProtections.Limits</c>: "cgroup v2", "cgroup v1", or null.</summary>
    public string? LimitsName => this.Mode switch
    {
        MiniCgroupMode.V2 => "cgroup v2",
        MiniCgroupMode.V1 => "cgroup v1",
        _ => null,
    };

    /// <summary>Probes which mode is usable, from the given /proc files.</summary>
    /// <param name="procSelfCgroup">The path of /proc/self/cgroup.</param>
    /// <param name="procSelfMountInfo">The path of /proc/self/mountinfo.</param>
    /// <returns>The probed support.</returns>
    public static MiniCgroupSupport Probe(string procSelfCgroup, string procSelfMountInfo)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new MiniCgroupSupport(MiniCgroupMode.None, "cgroups exist only on Linux", []);
        }

        (CgroupHierarchy? unified, IReadOnlyList<CgroupHierarchy> legacy) found;
        try
        {
            found = CgroupHierarchy.Find(File.ReadAllText(procSelfCgroup), File.ReadAllText(procSelfMountInfo));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new MiniCgroupSupport(MiniCgroupMode.None, $"cannot read {procSelfCgroup} or {procSelfMountInfo}: {e.Message}", []);
        }

        string v2Problem = ProbeV2(found.unified);
        if (v2Problem.Length == 0)
        {
            return new MiniCgroupSupport(MiniCgroupMode.V2, $"cgroup v2 at {found.unified!.HostDirectory} delegates memory, cpu and pids", [found.unified]);
        }

        List<CgroupHierarchy> usable = [];
        List<string> problems = [];
        foreach (string controller in (string[])["memory", "cpu", "pids"])
        {
            CgroupHierarchy? hierarchy = found.legacy.FirstOrDefault(h => h.Controllers.Contains(controller));
            string problem = hierarchy is null ? "not mounted" : CanMakeChild(hierarchy.HostDirectory);
            if (problem.Length == 0)
            {
                if (!usable.Contains(hierarchy!))
                {
                    usable.Add(hierarchy!);
                }
            }
            else
            {
                problems.Add($"v1 {controller}: {problem}");
            }
        }

        if (usable.Any(h => h.Controllers.Contains("memory")))
        {
            string partial = problems.Count == 0 ? string.Empty : $"; without {string.Join("; ", problems)}";
            return new MiniCgroupSupport(MiniCgroupMode.V1, $"cgroup v1 in {string.Join(", ", usable.Select(h => h.HostDirectory))} (cgroup v2: {v2Problem}){partial}", usable);
        }

        return new MiniCgroupSupport(MiniCgroupMode.None, $"cgroup v2: {v2Problem}; {string.Join("; ", problems)}", []);
    }

    /// <summary>Makes a new cgroup for one mini process, with its limits, in every usable hierarchy.</summary>
    /// <param name="limits">The limits.</param>
    /// <param name="logger">Where a later failed removal is reported.</param>
    /// <returns>The cgroup; its directories are the launcher's <c>--cgroup</c> arguments.</returns>
    /// <exception cref="InvalidOperationException">The mode is <see cref="MiniCgroupMode.None"/>.</exception>
    /// <exception cref="IOException">A directory or a limit could not be written (what was made is removed again).</exception>
    public MiniCgroup Create(MiniCgroupLimits limits, ILogger logger)
    {
        if (this.Mode == MiniCgroupMode.None)
        {
            throw new InvalidOperationException($"No cgroup mode is usable: {this.Reason}.");
        }

        string name = NamePrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        MiniCgroup cgroup = new(name, this.Mode, [.. this.hierarchies.Select(h => (h.Controllers, Path.Join(h.HostDirectory, name)))], logger);
        try
        {
            foreach ((IReadOnlySet<string> controllers, string directory) in cgroup.Hierarchies)
            {
                Directory.CreateDirectory(directory);
                if (this.Mode == MiniCgroupMode.V2)
                {
                    WriteV2Limits(directory, limits);
                }
                else
                {
                    WriteV1Limits(controllers, directory, limits);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cgroup.RemoveEmpty();
            throw new IOException($"Cannot make cgroup {name}: {e.Message}", e);
        }

        return cgroup;
    }

    /// <summary>
    /// Removes the mini process cgroups below the host's cgroup, in each hierarchy this host uses, that a host which ended
    /// without removing them left (SIGKILL, a crash): named <see cref="NamePrefix"/>..., holding no process (an empty
    /// <c>cgroup.procs</c>), and not changed for <paramref name="minimumAge"/> (a cgroup being made, or whose process has
    /// just exited and whose host is about to remove it, is younger). Removal is an rmdir, which the kernel refuses for
    /// a cgroup that holds a process or a child cgroup; what cannot be removed is left.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="minimumAge">How old a cgroup must be before it can be judged stale.</param>
    /// <returns>The cgroup directories removed.</returns>
    public List<string> RemoveStale(DateTime now, TimeSpan minimumAge)
    {
        var removed = new List<string>();
        foreach (CgroupHierarchy hierarchy in this.hierarchies)
        {
            string[] candidates;
            try
            {
                candidates = Directory.GetDirectories(hierarchy.HostDirectory, NamePrefix + "*");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (string directory in candidates)
            {
                try
                {
                    if (File.ReadAllText(Path.Join(directory, "cgroup.procs")).Trim().Length > 0
                        || now - Directory.GetLastWriteTimeUtc(directory) < minimumAge)
                    {
                        continue;
                    }

                    Directory.Delete(directory, recursive: false);
                    removed.Add(directory);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, joined meanwhile, or not ours: leave it.
                }
            }
        }

        return removed;
    }

    private static void WriteV2Limits(string directory, MiniCgroupLimits limits)
    {
        if (limits.MemoryBytes is long memory)
        {
            Write(directory, "memory.max", memory.ToString(CultureInfo.InvariantCulture));

            // Without this the limit would only move the excess to swap.
            WriteIfPresent(directory, "memory.swap.max", "0");
        }

        if (limits.Cpus is double cpus)
        {
            Write(directory, "cpu.max", $"{Quota(cpus)} {CpuPeriodMicroseconds}");
        }

        if (limits.MaxTasks is int tasks)
        {
            Write(directory, "pids.max", tasks.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteV1Limits(IReadOnlySet<string> controllers, string directory, MiniCgroupLimits limits)
    {
        if (controllers.Contains("memory") && limits.MemoryBytes is long memory)
        {
            Write(directory, "memory.limit_in_bytes", memory.ToString(CultureInfo.InvariantCulture));

            // memory + swap (present only with swap accounting); it may not be below memory.limit_in_bytes, so it
            // is written second.
            WriteIfPresent(directory, "memory.memsw.limit_in_bytes", memory.ToString(CultureInfo.InvariantCulture));
        }

        if (controllers.Contains("cpu") && limits.Cpus is double cpus)
        {
            Write(directory, "cpu.cfs_period_us", CpuPeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
            Write(directory, "cpu.cfs_quota_us", Quota(cpus).ToString(CultureInfo.InvariantCulture));
        }

        if (controllers.Contains("pids") && limits.MaxTasks is int tasks)
        {
            Write(directory, "pids.max", tasks.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static long Quota(double cpus) => Math.Max(1000, (long)Math.Round(cpus * CpuPeriodMicroseconds));

    private static void Write(string directory, string file, string value)
    {
        // Open, not create: cgroup files exist or the controller is missing, which must not pass as a plain file.
        using FileStream stream = new(Path.Join(directory, file), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        stream.Write(System.Text.Encoding.ASCII.GetBytes(value + "\n"));
    }

    private static void WriteIfPresent(string directory, string file, string value)
    {
        if (File.Exists(Path.Join(directory, file)))
        {
            Write(directory, file, value);
        }
    }

    private static string ProbeV2(CgroupHierarchy? unified)
    {
        if (unified is null)
        {
            return "not mounted";
        }

        string delegated;
        try
        {
            delegated = File.ReadAllText(Path.Join(unified.HostDirectory, "cgroup.subtree_control")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {unified.HostDirectory}/cgroup.subtree_control: {e.Message}";
        }

        string[] missing = [.. ((string[])["memory", "cpu", "pids"]).Except(delegated.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        if (missing.Length > 0)
        {
            return $"{unified.HostDirectory} does not delegate {string.Join(", ", missing)} (subtree_control: '{delegated}')";
        }

        return CanMakeChild(unified.HostDirectory);
    }

    private static string CanMakeChild(string directory)
    {
        string probe = Path.Join(directory, NamePrefix + "probe-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe, recursive: false);
            return string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot make a cgroup in {directory}: {e.Message}";
        }
    }
}
