using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The host's per-process cgroups (MiniCgroupSupport, MiniCgroup) with real cgroups of this machine and the launcher
/// joining them.
/// </summary>
public class MiniCgroupTests : HostTestBase
{
    private static readonly MiniCgroupLimits Limits = new(MemoryBytes: 256L * 1024 * 1024, Cpus: 0.5, MaxTasks: 64);

    public MiniCgroupTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public void FindsTheHostsCgroupDirectoriesInV1AndV2Mounts()
    {
        const string cgroups = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/a\n8:pids:/outer/inner\n0::/unified/x\n";
        const string mountInfo =
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
            "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n" +
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
            "39 31 0:36 /outer /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n" +
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n" +
            "41 31 0:38 / /sys/fs/cgroup/unified\\040dir rw,relatime - cgroup2 cgroup2 rw\n";

        (CgroupHierarchy? unified, IReadOnlyList<CgroupHierarchy> legacy) = CgroupHierarchy.Find(cgroups, mountInfo);

        Assert.Equal("/sys/fs/cgroup/unified dir/unified/x", unified?.HostDirectory);
        Assert.Equal(
            ["/sys/fs/cgroup/memory/process_api/abc", "/sys/fs/cgroup/cpu,cpuacct/a", "/sys/fs/cgroup/pids/inner"],
            legacy.Select(h => h.HostDirectory));
        Assert.Contains("cpuacct", legacy[1].Controllers);
    }

    [SkippableFact]
    public async Task ALaunchedProcessIsInItsCgroupWithTheLimitsAndTheCgroupGoesAfterItExits()
    {
        MiniCgroupSupport support = MiniCgroupSupport.Current;
        Skip.If(support.Mode == MiniCgroupMode.None, $"no cgroup mode is usable here: {support.Reason}");
        this.Output.WriteLine($"{support.Mode}: {support.Reason}");
        MiniCgroup cgroup = support.Create(Limits, this.LoggerFactory.CreateLogger("cgroup"));
        try
        {
            using LaunchedProcess shell = this.Launch(cgroup, "cat /proc/self/cgroup; echo ready; read line || exit 0");
            await shell.WaitForOutputAsync("ready", this.TimeoutToken);

            string[] memberships = shell.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (support.Mode == MiniCgroupMode.V2)
            {
                Assert.Contains(memberships, line => line.StartsWith("0::", StringComparison.Ordinal) && line.EndsWith("/" + cgroup.Name, StringComparison.Ordinal));
                Assert.Equal("268435456", ReadLimit(cgroup, "memory.max"));
                Assert.Equal("50000 100000", ReadLimit(cgroup, "cpu.max"));
                Assert.Equal("64", ReadLimit(cgroup, "pids.max"));
            }
            else
            {
                Assert.Contains(memberships, line => line.Split(':')[1].Split(',').Contains("memory") && line.EndsWith("/" + cgroup.Name, StringComparison.Ordinal));
                Assert.Equal("268435456", ReadLimit(cgroup, "memory.limit_in_bytes"));
                Assert.Equal("50000", ReadLimit(cgroup, "cpu.cfs_quota_us") ?? "50000");
                Assert.Equal("64", ReadLimit(cgroup, "pids.max") ?? "64");
            }

            Assert.True(cgroup.MemoryUsageBytes() > 0);

            shell.Input.Close();
            Assert.Equal(0, await shell.WaitForExitAsync(this.TimeoutToken));
            Assert.True(await this.WithTimeoutAsync(cgroup.RemoveAsync(this.TimeoutToken)));
            Assert.All(cgroup.Directories, directory => Assert.False(Directory.Exists(directory), directory));
        }
        finally
        {
            await cgroup.RemoveAsync(CancellationToken.None);
        }
    }

    [SkippableFact]
    public async Task RemovalEndsWhatTheProcessLeftInItsCgroup()
    {
        MiniCgroupSupport support = MiniCgroupSupport.Current;
        Skip.If(support.Mode == MiniCgroupMode.None, $"no cgroup mode is usable here: {support.Reason}");
        MiniCgroup cgroup = support.Create(Limits, this.LoggerFactory.CreateLogger("cgroup"));
        try
        {
            // A descendant that outlives the shell, still in the cgroup (its output goes elsewhere, so the shell's
            // pipes close when the shell exits).
            using LaunchedProcess shell = this.Launch(cgroup, "sleep 600 </dev/null >/dev/null 2>&1 & echo leftover=$!; read line || exit 0");
            await shell.WaitForOutputAsync("leftover=", this.TimeoutToken);
            shell.Input.Close();
            await shell.WaitForExitAsync(this.TimeoutToken);
            int leftover = int.Parse(shell.Stdout.Split("leftover=")[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            this.TrackPid(leftover);
            Assert.True(IsAlive(leftover));

            Assert.True(await this.WithTimeoutAsync(cgroup.RemoveAsync(this.TimeoutToken)));
            Assert.True(ProcessProbe.HasEnded(leftover));
            Assert.All(cgroup.Directories, directory => Assert.False(Directory.Exists(directory), directory));
        }
        finally
        {
            await cgroup.RemoveAsync(CancellationToken.None);
        }
    }

    private static string? ReadLimit(MiniCgroup cgroup, string file)
    {
        string? directory = cgroup.Directories.FirstOrDefault(d => File.Exists(Path.Combine(d, file)));
        return directory is null ? null : File.ReadAllText(Path.Combine(directory, file)).Trim();
    }

    private LaunchedProcess Launch(MiniCgroup cgroup, string script)
    {
        List<string> arguments = [MiniLauncherTests.LauncherPath];
        foreach (string directory in cgroup.Directories)
        {
            arguments.AddRange(["--cgroup", directory]);
        }

        arguments.AddRange(["--", "/bin/sh", "-c", script]);
        LaunchedProcess launched = LaunchedProcess.Start(ProcessProbe.DotnetHost, arguments, new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" });
        this.TrackPid(launched.Id);
        return launched;
    }
}
