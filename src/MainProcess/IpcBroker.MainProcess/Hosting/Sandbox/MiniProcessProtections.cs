using System.Text;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// The protections a host applies to every mini process it starts, probed once at host start: what the machine offers,
/// narrowed by <see cref="MiniSandboxOptions.Mode"/>.
/// </summary>
/// <param name="LandlockAbi">The Landlock ABI applied (filesystem; TCP from 4; abstract sockets and signals from 6); 0 for none.</param>
/// <param name="Seccomp">Whether the seccomp filter is applied (no sockets but the inherited one, no ptrace, no namespaces…).</param>
/// <param name="NoNewPrivileges">Whether <c>no_new_privs</c> is set (no set-uid gains through execve).</param>
/// <param name="CapabilitiesDropped">Whether every capability is dropped (a root host's mini process is uid 0 with no capability).</param>
/// <param name="Limits">What enforces the resource limits: <c>cgroup v2</c>, <c>cgroup v1</c>, <c>rlimit</c> (with the .NET heap limit), or <c>none</c>.</param>
/// <param name="PreConnectedSocket">Whether the mini process gets its connection at fd 3 instead of connecting itself.</param>
/// <param name="Missing">Each protection not applied, as "what: why"; empty when the sandbox is complete.</param>
public sealed record MiniProcessProtections(
    int LandlockAbi,
    bool Seccomp,
    bool NoNewPrivileges,
    bool CapabilitiesDropped,
    string Limits,
    bool PreConnectedSocket,
    IReadOnlyList<string> Missing)
{
    /// <summary>The lowest Landlock ABI <see cref="MiniSandboxMode.Required"/> accepts: 6 scopes abstract Unix sockets and signals.</summary>
    public const int RequiredLandlockAbi = 6;

    /// <summary>The highest Landlock ABI whose rights the launcher knows (7); a newer kernel is asked for this one.</summary>
    internal const int HighestKnownLandlockAbi = 7;

    /// <summary>Gets a value indicating whether every protection is applied.</summary>
    public bool IsComplete => this.Missing.Count == 0;

    /// <summary>Gets whether the launcher is used at all (no launcher: no kernel protection, no limits but the heap's).</summary>
    internal bool UsesLauncher => this.PreConnectedSocket;

    /// <summary>Gets what <see cref="MiniSandboxMode.Required"/> needs and this lacks, or null when it has it all.</summary>
    internal string? RequiredShortfall
    {
        get
        {
            var lacking = new List<string>();
            if (!this.UsesLauncher)
            {
                lacking.Add("the launcher");
            }

            if (this.LandlockAbi < RequiredLandlockAbi)
            {
                lacking.Add($"Landlock ABI {RequiredLandlockAbi} or later (applied: {(this.LandlockAbi == 0 ? "none" : this.LandlockAbi.ToString(System.Globalization.CultureInfo.InvariantCulture))})");
            }

            if (!this.Seccomp)
            {
                lacking.Add("seccomp");
            }

            return lacking.Count == 0 ? null : string.Join(", ", lacking);
        }
    }

    /// <summary>Gets the protections in force, in the launcher's order, as <c>serve</c> prints them.</summary>
    /// <returns>For example <c>landlock ABI 7, seccomp, no new privileges, capabilities dropped, pre-connected socket, limits by cgroup v2</c>.</returns>
    public string Describe()
    {
        var applied = new List<string>();
        if (this.LandlockAbi > 0)
        {
            applied.Add($"landlock ABI {this.LandlockAbi}");
        }

        if (this.Seccomp)
        {
            applied.Add("seccomp");
        }

        if (this.NoNewPrivileges)
        {
            applied.Add("no new privileges");
        }

        if (this.CapabilitiesDropped)
        {
            applied.Add("capabilities dropped");
        }

        if (this.PreConnectedSocket)
        {
            applied.Add("pre-connected socket");
        }

        applied.Add($"limits by {this.Limits}");
        applied.Add("clean environment");
        var text = new StringBuilder(string.Join(", ", applied));
        if (this.Missing.Count > 0)
        {
            text.Append("; missing: ").Append(string.Join("; ", this.Missing));
        }

        return text.ToString();
    }

    /// <summary>Decides what a host applies, from its options and what the machine offers.</summary>
    /// <param name="mode">The options' mode.</param>
    /// <param name="launcherMissing">Why the launcher cannot be used (not Linux, not found), or null when it can.</param>
    /// <param name="kernel">What the kernel offers.</param>
    /// <param name="cgroups">What enforces limits when the launcher is used: <c>cgroup v2</c>, <c>cgroup v1</c>, or null for rlimits only.</param>
    /// <param name="cgroupsMissing">Why there are no cgroups, when <paramref name="cgroups"/> is null.</param>
    /// <returns>The protections.</returns>
    internal static MiniProcessProtections Decide(MiniSandboxMode mode, string? launcherMissing, KernelSandboxFeatures kernel, string? cgroups, string? cgroupsMissing)
    {
        if (mode == MiniSandboxMode.Off)
        {
            return new MiniProcessProtections(0, false, false, false, "none", false, ["sandbox: turned off (MiniSandboxOptions.Mode is Off); only the clean environment and the .NET heap limit apply"]);
        }

        if (launcherMissing is not null)
        {
            return new MiniProcessProtections(0, false, false, false, "none", false, [$"launcher: {launcherMissing}; no Landlock, seccomp, no_new_privs, capability drop, resource limits or pre-connected socket"]);
        }

        var missing = new List<string>();
        if (kernel.LandlockAbi == 0)
        {
            missing.Add($"landlock: {kernel.LandlockMissingReason}");
        }
        else if (kernel.LandlockAbi < RequiredLandlockAbi)
        {
            missing.Add($"landlock ABI {RequiredLandlockAbi} (abstract Unix sockets and signals scoped): the kernel has ABI {kernel.LandlockAbi}");
        }

        if (!kernel.Seccomp)
        {
            missing.Add($"seccomp: {kernel.SeccompMissingReason}");
        }

        if (cgroups is null)
        {
            missing.Add($"cgroups: {cgroupsMissing}; memory is bounded by the .NET heap limit only, CPU and tasks are not bounded");
        }

        return new MiniProcessProtections(Math.Min(kernel.LandlockAbi, HighestKnownLandlockAbi), kernel.Seccomp, true, true, cgroups ?? "rlimit", true, missing);
    }
}
