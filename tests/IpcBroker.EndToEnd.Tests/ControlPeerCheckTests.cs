using System.Diagnostics;
using System.Globalization;
using IpcBroker.MainProcess.Cli;
using IpcBroker.Sessions;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// <see cref="ControlPeerCheck"/> over real processes: a child <c>sh</c> plays the mini process, its own child the peer;
/// a cgroup named like a mini process's catches a peer whose parent chain was broken by reparenting.
/// </summary>
public sealed class ControlPeerCheckTests : HostTestBase
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-peer-" + Guid.NewGuid().ToString("N")[..8]);

    public ControlPeerCheckTests(ITestOutputHelper output)
        : base(output)
    {
    }

    private static uint MyUid => uint.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);

    [Fact]
    public async Task APeerInsideAMiniProcessTreeIsRefusedAndTheSameProcessOtherwiseAdmitted()
    {
        (Process mini, int grandchild) = await this.StartShellWithChildAsync("sleep 600 </dev/null >/dev/null 2>&1 & echo $!; wait");

        var check = new ControlPeerCheck(() => [mini.Id]);
        string? asChild = check.Check(new PeerCredentials(grandchild, MyUid, 0));
        string? asMini = check.Check(new PeerCredentials(mini.Id, MyUid, 0));
        string? unrelated = new ControlPeerCheck(() => [mini.Id]).Check(new PeerCredentials(Environment.ProcessId, MyUid, 0));
        string? noMinis = new ControlPeerCheck(() => []).Check(new PeerCredentials(grandchild, MyUid, 0));

        Assert.Equal($"it descends from mini process {mini.Id}", asChild);
        Assert.Equal($"it is mini process {mini.Id}", asMini);
        Assert.Null(unrelated);
        Assert.Null(noMinis);
    }

    [Fact]
    public void APeerOfAnotherUidOrGoneOrInvisibleIsRefused()
    {
        var check = new ControlPeerCheck(() => []);

        Assert.Equal($"uid {MyUid + 1} is not the host's uid {MyUid}", check.Check(new PeerCredentials(Environment.ProcessId, MyUid + 1, 0)));
        Assert.Equal("its pid is not visible from the host's pid namespace", check.Check(new PeerCredentials(0, MyUid, 0)));

        // pid_max is at most 2^22: this pid is never a live process.
        Assert.NotNull(check.Check(new PeerCredentials(int.MaxValue - 1, MyUid, 0)));
    }

    [Fact]
    public void TheCgroupAndNamespaceRulesOverAFakeProcTree()
    {
        // pid 50 is the host; 1 is init; 100 sits in a mini cgroup although its parent is init; 101 is clean;
        // 102 is in another user namespace; 103's parent 104 is in a mini cgroup.
        this.FakeProcess(1, 0, "0::/\n");
        this.FakeProcess(50, 1, "0::/user.slice\n");
        this.FakeProcess(100, 1, "12:pids:/ipcb-mini-0123456789abcdef\n0::/user.slice\n");
        this.FakeProcess(101, 1, "12:pids:/\n0::/user.slice/a:b\n");
        this.FakeProcess(102, 1, "0::/user.slice\n", userNamespace: "user:[4026531999]");
        this.FakeProcess(103, 104, "0::/user.slice\n");
        this.FakeProcess(104, 1, "0::/ipcb-mini-00000000000000ff/nested\n");
        var check = new ControlPeerCheck(() => [], this.root, hostUserId: 1000, hostProcessId: 50);

        Assert.Equal("it is in the mini process cgroup /ipcb-mini-0123456789abcdef", check.Check(new PeerCredentials(100, 1000, 0)));
        Assert.Null(check.Check(new PeerCredentials(101, 1000, 0)));
        Assert.Equal("it is in another user namespace (user:[4026531999], the host's is user:[4026531837])", check.Check(new PeerCredentials(102, 1000, 0)));
        Assert.Equal("its ancestor 104 is in the mini process cgroup /ipcb-mini-00000000000000ff/nested", check.Check(new PeerCredentials(103, 1000, 0)));
    }

    [SkippableFact]
    public async Task AReparentedPeerIsStillRefusedByItsMiniCgroup()
    {
        string? cgroup = CreateMiniCgroup(out string why);
        Skip.If(cgroup is null, $"no cgroup can be created here: {why}");
        int orphan = 0;
        try
        {
            // The shell joins the cgroup, starts a child and exits: the child is reparented, its chain no longer leads to
            // the "mini" shell, but it stays in the cgroup.
            (Process mini, orphan) = await this.StartShellWithChildAsync($"echo $$ > '{cgroup}/cgroup.procs' && {{ sleep 600 </dev/null >/dev/null 2>&1 & echo $!; }}");
            await this.WithTimeoutAsync(mini.WaitForExitAsync(this.TimeoutToken));
            string stat = await File.ReadAllTextAsync($"/proc/{orphan}/stat", this.TimeoutToken);
            Assert.NotEqual(mini.Id.ToString(CultureInfo.InvariantCulture), stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);

            string? reason = new ControlPeerCheck(() => [mini.Id]).Check(new PeerCredentials(orphan, MyUid, 0));

            Assert.Equal($"it is in the mini process cgroup /{Path.GetFileName(cgroup)}", reason);
        }
        finally
        {
            if (orphan > 0 && !ProcessProbe.HasEnded(orphan))
            {
                ProcessProbe.Signal(orphan, ProcessProbe.SigKill);
            }

            await this.RemoveCgroupAsync(cgroup!);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        if (Directory.Exists(this.root))
        {
            Directory.Delete(this.root, recursive: true);
        }
    }

    /// <summary>Makes a cgroup named like a mini process's in the first hierarchy that allows it.</summary>
    private static string? CreateMiniCgroup(out string why)
    {
        why = "no cgroup hierarchy is mounted";
        string name = ControlPeerCheck.MiniCgroupPrefix + "test" + Guid.NewGuid().ToString("N")[..12];
        foreach (string hierarchy in new[] { "/sys/fs/cgroup/pids", "/sys/fs/cgroup", "/sys/fs/cgroup/unified" })
        {
            if (!File.Exists(Path.Combine(hierarchy, "cgroup.procs")))
            {
                continue;
            }

            try
            {
                string path = Path.Combine(hierarchy, name);
                Directory.CreateDirectory(path);
                return path;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                why = $"{hierarchy}: {ex.Message}";
            }
        }

        return null;
    }

    private async Task RemoveCgroupAsync(string cgroup)
    {
        // A cgroup can be removed once its last process has been reaped; the orphan's reaper is not us, so wait for it.
        while (true)
        {
            try
            {
                Directory.Delete(cgroup);
                return;
            }
            catch (IOException) when (!this.TimeoutToken.IsCancellationRequested)
            {
                await Task.Delay(20, this.TimeoutToken);
            }
        }
    }

    /// <summary>Starts <c>sh -c SCRIPT</c>, which prints its child's pid on its first line; both are ended by the test.</summary>
    private async Task<(Process Shell, int Child)> StartShellWithChildAsync(string script)
    {
        var startInfo = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardInput = true };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);
        Process shell = Process.Start(startInfo)!;
        this.TrackPid(shell.Id);
        string line = await this.WithTimeoutAsync(shell.StandardOutput.ReadLineAsync(this.TimeoutToken).AsTask()) ?? throw new InvalidOperationException("the shell printed nothing");
        int child = int.Parse(line, CultureInfo.InvariantCulture);
        this.TrackPid(child);
        return (shell, child);
    }

    private void FakeProcess(int pid, int parent, string cgroups, string userNamespace = "user:[4026531837]")
    {
        string directory = Path.Combine(this.root, pid.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(Path.Combine(directory, "ns"));
        File.WriteAllText(Path.Combine(directory, "stat"), $"{pid} (a (odd) name) S {parent} {pid} {pid} 0 -1 4194560");
        File.WriteAllText(Path.Combine(directory, "cgroup"), cgroups);
        File.CreateSymbolicLink(Path.Combine(directory, "ns", "user"), userNamespace);
        File.CreateSymbolicLink(Path.Combine(directory, "ns", "pid"), "pid:[4026531836]");
    }
}
