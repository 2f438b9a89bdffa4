using System.Globalization;
using System.Runtime.InteropServices;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Decides whether the process on the other end of a control connection may be served: it must run as the host's user,
/// in the host's user and pid namespaces, and be neither one of the host's mini processes nor inside one's process tree
/// or cgroup.
/// </summary>
/// <remarks>
/// <para>Three rules find a mini process's offspring, because each alone can be dodged: the pid itself, its chain of
/// parents (<c>/proc/PID/stat</c>; a process whose parent exited is reparented to init or a subreaper and leaves the chain),
/// and its cgroups (<c>/proc/PID/cgroup</c>): the host puts every sandboxed mini process in a cgroup whose name begins
/// with <see cref="MiniCgroupPrefix"/>, which its children inherit and which an unprivileged process cannot leave.</para>
/// <para>It fails closed: a peer whose <c>/proc</c> entries cannot be read (gone already, or hidden) is refused. The pid
/// is the kernel's word at connect time; were the peer gone and its pid reused before the check, the check would judge the
/// newcomer, but the connection it judges is the gone peer's and still needs the token.</para>
/// <para>Thread-safety: <see cref="Check"/> may be called from any thread; it reads <c>/proc</c> and keeps no state.</para>
/// </remarks>
internal sealed class ControlPeerCheck
{
    /// <summary>How the name of every mini process's cgroup begins: the sandbox's own naming, <see cref="MiniCgroupSupport.NamePrefix"/>.</summary>
    public const string MiniCgroupPrefix = MiniCgroupSupport.NamePrefix;

    /// <summary>A bound on the chain of parents walked: deeper than any real tree, so that a corrupt or looping read ends.</summary>
    private const int MaxAncestors = 4096;

    private static readonly string[] ComparedNamespaces = ["user", "pid"];

    private readonly Func<IReadOnlyCollection<int>> miniProcessIds;
    private readonly string procRoot;
    private readonly uint hostUserId;
    private readonly int hostProcessId;

    /// <summary>Initializes a new instance of the <see cref="ControlPeerCheck"/> class.</summary>
    /// <param name="miniProcessIds">The host's mini processes now (<see cref="Hosting.MiniAppHost.ProcessIds"/>); read at each check.</param>
    /// <param name="procRoot">The proc file system: <c>/proc</c>, or a copy of its layout in tests.</param>
    /// <param name="hostUserId">The host's effective user id; null for this process's.</param>
    /// <param name="hostProcessId">The host's pid, whose namespaces the peer's must equal; null for this process's.</param>
    public ControlPeerCheck(Func<IReadOnlyCollection<int>> miniProcessIds, string procRoot = "/proc", uint? hostUserId = null, int? hostProcessId = null)
    {
        this.miniProcessIds = miniProcessIds;
        this.procRoot = procRoot;
        this.hostUserId = hostUserId ?? GetEffectiveUserId();
        this.hostProcessId = hostProcessId ?? Environment.ProcessId;
    }

    /// <summary>Judges a connected peer.</summary>
    /// <param name="peer">Its credentials, as the kernel reported them (<see cref="PeerCredentials.Of"/>).</param>
    /// <returns>Null when it may be served; else why not, for the log.</returns>
    public string? Check(PeerCredentials peer)
    {
        if (peer.UserId != this.hostUserId)
        {
            return $"uid {peer.UserId} is not the host's uid {this.hostUserId}";
        }

        if (peer.ProcessId <= 0)
        {
            // SO_PEERCRED reports pid 0 for a peer in a pid namespace this one cannot see.
            return "its pid is not visible from the host's pid namespace";
        }

        if (this.OtherNamespace(peer.ProcessId) is { } namespaceProblem)
        {
            return namespaceProblem;
        }

        HashSet<int> minis = [.. this.miniProcessIds()];
        int pid = peer.ProcessId;
        for (int depth = 0; depth < MaxAncestors && pid > 0; depth++)
        {
            if (minis.Contains(pid))
            {
                return pid == peer.ProcessId ? $"it is mini process {pid}" : $"it descends from mini process {pid}";
            }

            string? cgroups = this.TryRead(pid, "cgroup");
            string? stat = this.TryRead(pid, "stat");
            if (cgroups is null || stat is null)
            {
                // The peer itself must be readable; an ancestor that is gone ends the chain.
                return pid == peer.ProcessId ? "its /proc entries cannot be read" : null;
            }

            if (MiniCgroup(cgroups) is { } cgroup)
            {
                return pid == peer.ProcessId ? $"it is in the mini process cgroup {cgroup}" : $"its ancestor {pid} is in the mini process cgroup {cgroup}";
            }

            if (ParentOf(stat) is not { } parent)
            {
                return pid == peer.ProcessId ? "its /proc/PID/stat cannot be parsed" : null;
            }

            pid = parent;
        }

        return null;
    }

    /// <summary>The first cgroup path in a <c>/proc/PID/cgroup</c> text with an element named like a mini process's.</summary>
    private static string? MiniCgroup(string cgroups)
    {
        // Each line is "hierarchy-id:controllers:path" (v1) or "0::path" (v2); the path may itself hold ':'.
        foreach (string line in cgroups.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(':', 3);
            if (fields.Length == 3 && fields[2].Split('/').Any(e => e.StartsWith(MiniCgroupPrefix, StringComparison.Ordinal)))
            {
                return fields[2];
            }
        }

        return null;
    }

    /// <summary>The parent pid in a <c>/proc/PID/stat</c> text: the second field after the command name's closing parenthesis.</summary>
    private static int? ParentOf(string stat)
    {
        // The command name (in parentheses) may hold spaces and ')': the fields start after the last ')'.
        int close = stat.LastIndexOf(')');
        string[] fields = close < 0 ? [] : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int parent) ? parent : null;
    }

    private static uint GetEffectiveUserId() => OperatingSystem.IsWindows() ? 0 : GetEuid();

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private string? OtherNamespace(int pid)
    {
        foreach (string kind in ComparedNamespaces)
        {
            string? mine = this.TryReadLink(this.hostProcessId, kind);
            string? theirs = this.TryReadLink(pid, kind);
            if (theirs is null || mine is null)
            {
                return $"its {kind} namespace cannot be read";
            }

            if (!string.Equals(mine, theirs, StringComparison.Ordinal))
            {
                return $"it is in another {kind} namespace ({theirs}, the host's is {mine})";
            }
        }

        return null;
    }

    private string? TryRead(int pid, string entry)
    {
        try
        {
            return File.ReadAllText(Path.Combine(this.procRoot, pid.ToString(CultureInfo.InvariantCulture), entry));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string? TryReadLink(int pid, string kind)
    {
        try
        {
            return new FileInfo(Path.Combine(this.procRoot, pid.ToString(CultureInfo.InvariantCulture), "ns", kind)).LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
