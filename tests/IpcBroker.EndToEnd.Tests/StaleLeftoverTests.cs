using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// What the mini processes of a host that ended without cleaning up (SIGKILL) leave, their scratch directories and their
/// cgroups, is removed by the next host, and nothing of a live host or anything younger than a minute is.
/// </summary>
// Alone, after the parallel tests: another host starting meanwhile would sweep this test's "dead" leftovers first.
[Collection(FaultCollection.Name)]
public class StaleLeftoverTests : HostTestBase
{
    private static readonly MiniCgroupLimits Limits = new(MemoryBytes: 256L * 1024 * 1024, Cpus: 0.5, MaxTasks: 64);
    private readonly List<string> made = [];

    public StaleLeftoverTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [SkippableFact]
    public async Task AHostRemovesTheScratchDirectoriesOfDeadHostsButNothingElse()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "scratch directories are judged by /proc, which only Linux has");
        int deadPid = await this.DeadPidAsync();

        // A dead host's, with what a mini process could have planted in it: a file, a directory, and symbolic links to a
        // directory and a file outside, which must not be followed.
        string outside = this.Made(Path.Combine(Path.GetTempPath(), "ipcb-leaks-outside-" + Hex()));
        Directory.CreateDirectory(outside);
        string outsideFile = Path.Combine(outside, "keep.txt");
        await File.WriteAllTextAsync(outsideFile, "not the mini's", this.TimeoutToken);
        string dead = this.NewScratch(deadPid);
        await File.WriteAllTextAsync(Path.Combine(dead, "file.txt"), "left", this.TimeoutToken);
        Directory.CreateDirectory(Path.Combine(dead, "sub"));
        File.CreateSymbolicLink(Path.Combine(dead, "sub", "to-outside"), outside);
        File.CreateSymbolicLink(Path.Combine(dead, "to-outside-file"), outsideFile);

        string young = this.NewScratch(deadPid);
        string live = this.NewScratch(Environment.ProcessId);
        string withoutPid = this.Made(Path.Combine(Path.GetTempPath(), ScratchDirectory.Prefix + Hex()));
        Directory.CreateDirectory(withoutPid);

        // Made old last, just before the host starts: another host starting meanwhile (tests run in parallel) would
        // remove the dead one first.
        DateTime old = DateTime.UtcNow - TimeSpan.FromMinutes(5);
        foreach (string directory in new[] { dead, live, withoutPid })
        {
            Directory.SetLastWriteTimeUtc(directory, old);
        }

        this.StartHost();

        // The sweep runs off the start path; the host says when it has finished.
        await this.WaitForLogAsync(r => r.EventId == 2068);
        Assert.False(Directory.Exists(dead), "the dead host's scratch directory is removed");
        Assert.Equal("not the mini's", await File.ReadAllTextAsync(outsideFile, this.TimeoutToken));
        Assert.True(Directory.Exists(young), "a scratch directory younger than a minute stays");
        Assert.True(Directory.Exists(live), "a live host's scratch directory stays");
        Assert.True(Directory.Exists(withoutPid), "a scratch directory whose name has no pid stays: its owner cannot be told");
        Assert.Contains(this.Logs.Records, r => r.EventId == 2061 && r.Message.Contains(dead, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task AScratchDirectoryItsHostStillLocksIsNotSweptWhateverItsPidSays()
    {
        // A host in another pid namespace sharing this temp directory: its pid means nothing here (no /proc entry), and
        // its scratch directory's own time does not change while its mini writes deeper. Its lock is what tells.
        Skip.IfNot(OperatingSystem.IsLinux(), "scratch directories are judged by /proc and flock, Linux's");
        int deadPid = await this.DeadPidAsync();
        string sweptRoot = this.Made(Path.Combine(Path.GetTempPath(), "ipcb-sweep-root-" + Hex()));
        string locked = Path.Combine(sweptRoot, $"{ScratchDirectory.Prefix}{deadPid.ToString(CultureInfo.InvariantCulture)}-{Hex()}");
        string unlocked = Path.Combine(sweptRoot, $"{ScratchDirectory.Prefix}{deadPid.ToString(CultureInfo.InvariantCulture)}-{Hex()}");
        Directory.CreateDirectory(locked);
        Directory.CreateDirectory(unlocked);
        await File.WriteAllTextAsync(Path.Combine(locked, "in-use"), "a live mini's", this.TimeoutToken);
        using SafeHandle held = ScratchDirectory.Lock(locked);
        DateTime old = DateTime.UtcNow - TimeSpan.FromMinutes(5);
        Directory.SetLastWriteTimeUtc(locked, old);
        Directory.SetLastWriteTimeUtc(unlocked, old);

        List<string> removed = ScratchDirectory.RemoveStale(sweptRoot, DateTime.UtcNow, DateTime.UtcNow + TimeSpan.FromMinutes(1));

        Assert.Equal([unlocked], removed);
        Assert.True(File.Exists(Path.Combine(locked, "in-use")), "the locked scratch directory stays");
        Assert.False(Directory.Exists(unlocked), "the unlocked one of a dead pid is removed");
    }

    [SkippableFact]
    public async Task AnotherUsersScratchDirectoryIsNotSwept()
    {
        // Hosts of several users share /tmp; a host removes only its own user's leftovers.
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "giving a directory to another user needs root (chown)");
        int deadPid = await this.DeadPidAsync();
        string sweptRoot = this.Made(Path.Combine(Path.GetTempPath(), "ipcb-sweep-root-" + Hex()));
        string others = Path.Combine(sweptRoot, $"{ScratchDirectory.Prefix}{deadPid.ToString(CultureInfo.InvariantCulture)}-{Hex()}");
        Directory.CreateDirectory(others);
        Assert.Equal(0, LChown(others, 65534, 65534));
        Directory.SetLastWriteTimeUtc(others, DateTime.UtcNow - TimeSpan.FromMinutes(5));

        List<string> removed = ScratchDirectory.RemoveStale(sweptRoot, DateTime.UtcNow, DateTime.UtcNow + TimeSpan.FromMinutes(1));

        Assert.Empty(removed);
        Assert.True(Directory.Exists(others), "another user's scratch directory stays");
    }

    [SkippableFact]
    public void RemovingAScratchDirectoryFollowsNoSymbolicLink()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "symbolic links to directories are made as on Linux");
        string outside = this.Made(Path.Combine(Path.GetTempPath(), "ipcb-leaks-outside-" + Hex()));
        Directory.CreateDirectory(Path.Combine(outside, "inner"));
        File.WriteAllText(Path.Combine(outside, "inner", "keep.txt"), "not the mini's");
        string scratch = this.Made(ScratchDirectory.Create());
        Directory.CreateDirectory(Path.Combine(scratch, "deep", "er"));
        File.CreateSymbolicLink(Path.Combine(scratch, "to-outside"), outside);
        File.CreateSymbolicLink(Path.Combine(scratch, "deep", "er", "to-inner"), Path.Combine(outside, "inner"));
        File.CreateSymbolicLink(Path.Combine(scratch, "deep", "to-file"), Path.Combine(outside, "inner", "keep.txt"));

        Assert.Null(ScratchDirectory.TryRemove(scratch));

        Assert.False(Directory.Exists(scratch));
        Assert.Equal("not the mini's", File.ReadAllText(Path.Combine(outside, "inner", "keep.txt")));
    }

    [SkippableFact]
    public async Task AHostRemovesTheEmptyCgroupsOfDeadHostsButNothingElse()
    {
        MiniCgroupSupport current = MiniCgroupSupport.Current;
        Skip.If(current.Mode != MiniCgroupMode.V1, $"the test gives its host a cgroup of its own only in cgroup v1, and this machine's mode is {current.Mode}: {current.Reason}");

        // The host of this test gets a cgroup of its own, below this process's, in each hierarchy: what it judges stale is
        // what the test made there, and no other host (tests run in parallel) removes it first.
        string name = "ipcb-leaks-test-" + Hex();
        string cgroupText = string.Join('\n', File.ReadAllLines("/proc/self/cgroup").Select(line => line.Split(':', 3) is [string id, string controllers, string path]
            && controllers.Split(',').Intersect(["memory", "cpu", "pids"]).Any() ? $"{id}:{controllers}:{path.TrimEnd('/')}/{name}" : line));
        string mountInfo = File.ReadAllText("/proc/self/mountinfo");
        List<string> own = [.. CgroupHierarchy.Find(cgroupText, mountInfo).Legacy
            .Where(h => h.Controllers.Intersect(["memory", "cpu", "pids"]).Any())
            .Select(h => h.HostDirectory)];
        string cgroupFile = this.Made(Path.Combine(Path.GetTempPath(), "ipcb-leaks-cgroup-" + Hex()));
        await File.WriteAllTextAsync(cgroupFile, cgroupText, this.TimeoutToken);
        own.ForEach(d => Directory.CreateDirectory(d));
        MiniCgroup? stale = null, young = null, live = null;
        Process? sleeper = null;
        try
        {
            MiniCgroupSupport support = MiniCgroupSupport.Probe(cgroupFile, "/proc/self/mountinfo");
            Assert.Equal(MiniCgroupMode.V1, support.Mode);
            ILogger logger = this.LoggerFactory.CreateLogger("cgroup");
            (stale, young, live) = (support.Create(Limits, logger), support.Create(Limits, logger), support.Create(Limits, logger));
            Assert.All(stale.Directories, d => Assert.Contains(Path.GetDirectoryName(d), own));
            sleeper = Process.Start(new ProcessStartInfo("sleep", "600"))!;
            this.TrackPid(sleeper.Id);
            foreach (string directory in live.Directories)
            {
                await File.WriteAllTextAsync(Path.Join(directory, "cgroup.procs"), sleeper.Id.ToString(CultureInfo.InvariantCulture), this.TimeoutToken);
            }

            DateTime old = DateTime.UtcNow - TimeSpan.FromMinutes(5);
            foreach (string directory in stale.Directories.Concat(live.Directories))
            {
                Directory.SetLastWriteTimeUtc(directory, old);
            }

            // No spare: its cgroup, made below the test's own hierarchy, would keep that busy until the host ends.
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SpareProcesses = 0, Sandbox = new MiniSandboxOptions { Cgroups = support } });
            await this.WaitForLogAsync(r => r.EventId == 2068);

            Assert.All(stale.Directories, d => Assert.False(Directory.Exists(d), $"{d} is removed: empty and old"));
            Assert.All(stale.Directories, d => Assert.Contains(this.Logs.Records, r => r.EventId == 2062 && r.Message.Contains(d, StringComparison.Ordinal)));
            Assert.All(young.Directories, d => Assert.True(Directory.Exists(d), $"{d} stays: younger than a minute"));
            Assert.All(live.Directories, d => Assert.True(Directory.Exists(d), $"{d} stays: a process is in it"));
        }
        finally
        {
            if (sleeper is not null)
            {
                sleeper.Kill();
                await this.WithTimeoutAsync(sleeper.WaitForExitAsync(this.TimeoutToken));
                sleeper.Dispose();
            }

            foreach (MiniCgroup? cgroup in new[] { stale, young, live })
            {
                if (cgroup is not null && !await this.WithTimeoutAsync(cgroup.RemoveAsync(this.TimeoutToken)))
                {
                    this.Output.WriteLine($"cleanup: cgroup {cgroup.Name} left");
                }
            }

            own.ForEach(d => Directory.Delete(d, recursive: false));
        }
    }

    public override void Dispose()
    {
        foreach (string path in this.made)
        {
            if (!Directory.Exists(path))
            {
                File.Delete(path);
            }
            else if (ScratchDirectory.TryRemove(path) is { } why)
            {
                this.Output.WriteLine($"cleanup: could not remove {path}: {why}");
            }
        }

        base.Dispose();
    }

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown(string path, int owner, int group);

    private static string Hex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private string Made(string path)
    {
        this.made.Add(path);
        return path;
    }

    private string NewScratch(int pid)
    {
        string path = this.Made(Path.Combine(Path.GetTempPath(), $"{ScratchDirectory.Prefix}{pid.ToString(CultureInfo.InvariantCulture)}-{Hex()}"));
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>The pid of a process that has ended and been reaped: what a SIGKILLed host's pid is.</summary>
    private async Task<int> DeadPidAsync()
    {
        using Process done = Process.Start(new ProcessStartInfo("true"))!;
        await this.WithTimeoutAsync(done.WaitForExitAsync(this.TimeoutToken));
        Assert.True(ProcessProbe.HasEnded(done.Id));
        return done.Id;
    }
}
