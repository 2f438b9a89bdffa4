using System.Diagnostics;
using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The lives of mini program processes: the cap (one mini program per process), reactivation, stop, death, host death, logout.</summary>
public class LifecycleTests(ITestOutputHelper output) : HostTestBase(output)
{
    private static readonly string TestHostAppPath = Path.GetFullPath(typeof(LifecycleTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestHostAppPath").Value!);

    [Fact]
    public async Task AtTheCapTheLeastRecentlyUsedMiniProgramIsStoppedAndTheNewOneGetsAFreshProcess()
    {
        this.StartHost();
        var opened = new List<MiniAppInfo>();
        for (int i = 1; i <= 5; i++)
        {
            opened.Add(await this.OpenAsync($"wx-cap-{i}"));
        }

        Assert.Equal(5, opened.Select(o => o.ProcessId).Distinct().Count());
        Assert.Equal(5, this.Host.ProcessIds.Count);

        // wx-cap-1 is reactivated (no new process), wx-cap-2 gets a call that never ends (a call is a use too), then the
        // others are used: wx-cap-2 is now the least recently used.
        MiniAppInfo reactivated = await this.OpenAsync("wx-cap-1");
        Assert.Equal(opened[0].ProcessId, reactivated.ProcessId);
        Assert.Equal(1, (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-cap-2", TestEvents.Count, null))).Data.GetInt("count"));
        Task<IpcResult> pendingOnEvicted = this.Host.CallMiniProcessPluginAsync("wx-cap-2", TestEvents.Hang, null);
        foreach (string appId in new[] { "wx-cap-1", "wx-cap-3", "wx-cap-4", "wx-cap-5" })
        {
            await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, TestEvents.Echo, null));
        }

        await AssertStillPendingAsync(pendingOnEvicted);

        Task<MiniAppInfo> opening = this.OpenAsync("wx-cap-6");
        (int most, IReadOnlySet<int> seen) = await this.SampleProcessIdsUntilAsync(opening);
        MiniAppInfo sixth = await opening;

        // The least recently used mini program is stopped: its call fails, naming the newcomer, and its process ends.
        IpcResult evicted = await this.WithTimeoutAsync(pendingOnEvicted);
        Assert.Equal(IpcErrorCode.PeerDisconnected, evicted.ErrorCode);
        Assert.Contains("make room for wx-cap-6", evicted.ErrorMessage);
        MiniProcessExitedEventArgs notice = await this.WaitForExitNoticeAsync(opened[1].ProcessId);
        Assert.Equal(("wx-cap-2", true, 0), (notice.AppId, notice.StoppedByHost, notice.ExitCode));
        Assert.False(Directory.Exists($"/proc/{opened[1].ProcessId}"), "the evicted mini program's process is reaped");

        // The newcomer runs in a process of its own, and there were never more than the cap.
        Assert.DoesNotContain(sixth.ProcessId, opened.Select(o => o.ProcessId));
        this.Output.WriteLine($"most processes seen at once while wx-cap-6 opened: {most}; pids seen: {string.Join(", ", seen)}");
        Assert.InRange(most, 1, 5);
        Assert.Equal(5, this.Host.ProcessIds.Count);
        Assert.DoesNotContain(opened[1].ProcessId, this.Host.ProcessIds);
        Assert.Equal(["wx-cap-1", "wx-cap-3", "wx-cap-4", "wx-cap-5", "wx-cap-6"], this.Host.RunningMiniApps.Select(a => a.AppId).Order());
        Assert.Equal(IpcErrorCode.ProcessNotRunning, (await this.Host.CallMiniProcessPluginAsync("wx-cap-2", TestEvents.Echo, null)).ErrorCode);

        IpcResult who = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-cap-6", TestEvents.WhoAmI, null));
        Assert.Equal(sixth.ProcessId, who.Data.GetInt("pid"));
        Assert.Equal("wx-cap-6", who.Data.GetString("appId"));
        Assert.Equal(1, (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-cap-6", TestEvents.Count, null))).Data.GetInt("count"));
        Assert.Equal([opened[1].ProcessId], this.Exits.Select(e => e.ProcessId));

        // Reactivation still reuses the running process.
        Assert.Equal(opened[2].ProcessId, (await this.OpenAsync("wx-cap-3")).ProcessId);
        Assert.Equal(sixth.ProcessId, (await this.OpenAsync("wx-cap-6")).ProcessId);
    }

    [Fact]
    public async Task OpensThatArriveWhileASlotIsFreedWaitAndTheCapIsNeverExceeded()
    {
        // The first mini program ignores the shutdown message, so that freeing its slot takes the whole ShutdownTimeout.
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, MaxMiniProcesses = 1, ShutdownTimeout = TimeSpan.FromSeconds(5) });
        MiniAppInfo stubborn = await this.OpenAsync("wx-free-a");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-free-a", TestEvents.IgnoreShutdown, null));

        Task<MiniAppInfo> second = this.OpenAsync("wx-free-b");
        await this.WaitForLogAsync(r => r.EventId == 2011 && r.Message.Contains("wx-free-b"));

        // wx-free-a is stopping and wx-free-b starting: no running mini program to stop, so the third waits for the slot.
        Task<MiniAppInfo> third = this.OpenAsync("wx-free-c");
        (int most, IReadOnlySet<int> seen) = await this.SampleProcessIdsUntilAsync(Task.WhenAll(second, third));
        MiniAppInfo two = await second;
        MiniAppInfo three = await third;

        this.Output.WriteLine($"most processes seen at once: {most}; pids seen: {string.Join(", ", seen)}");
        Assert.Equal(1, most);
        await this.WaitForLogAsync(r => r.EventId == 2017 && r.Message.Contains("wx-free-c"));
        Assert.Equal(3, new[] { stubborn.ProcessId, two.ProcessId, three.ProcessId }.Distinct().Count());
        Assert.Equal(["wx-free-c"], this.Host.RunningMiniApps.Select(a => a.AppId));
        Assert.Equal([three.ProcessId], this.Host.ProcessIds);

        // Each process that made room ended as stopped by the host app: the stubborn one killed, the other by itself.
        MiniProcessExitedEventArgs first = await this.WaitForExitNoticeAsync(stubborn.ProcessId);
        Assert.Equal(((int?)9, true), (first.Signal, first.StoppedByHost));
        MiniProcessExitedEventArgs next = await this.WaitForExitNoticeAsync(two.ProcessId);
        Assert.Equal(("wx-free-b", 0, true), (next.AppId, next.ExitCode, next.StoppedByHost));
    }

    [Fact]
    public async Task AStartWhoseRoomIsNotFreedInTimeFailsAndTheSlotStaysWithTheProcess()
    {
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            MaxMiniProcesses = 1,

            // Long enough for a mini process that heeds the shutdown message (the last one, when the host is disposed):
            // only the stubborn one is killed.
            ShutdownTimeout = TimeSpan.FromSeconds(3),

            // No time at all to be reaped after the kill (zero reports every reap as late): making room fails, as it would with a wedged reaper.
            ReapTimeout = TimeSpan.Zero,
        });
        MiniAppInfo stubborn = await this.OpenAsync("wx-reap-a");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-reap-a", TestEvents.IgnoreShutdown, null));

        MiniAppStartException failed = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-reap-b", MiniAppVerType.Release, this.TimeoutToken)));
        Assert.Contains($"process {stubborn.ProcessId} of wx-reap-a", failed.Message);
        Assert.Equal(9, (await this.WaitForExitNoticeAsync(stubborn.ProcessId)).Signal);

        // The slot went back with the process when it ended: the next open takes it, and the cap holds.
        Task<MiniAppInfo> third = this.OpenAsync("wx-reap-c");
        (int most, _) = await this.SampleProcessIdsUntilAsync(third);
        MiniAppInfo next = await third;
        Assert.Equal(1, most);
        Assert.Equal([next.ProcessId], this.Host.ProcessIds);
        Assert.Equal(["wx-reap-c"], this.Host.RunningMiniApps.Select(a => a.AppId));
    }

    [Fact]
    public async Task ALogoutWhileAProcessIsStoppedToMakeRoomLeavesNothingBehind()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, MaxMiniProcesses = 1, ShutdownTimeout = TimeSpan.FromSeconds(3) });
        this.Host.SignIn("alice");
        MiniAppInfo stubborn = await this.OpenAsync("wx-swap-a");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-swap-a", TestEvents.IgnoreShutdown, null));
        Task<MiniAppInfo> second = this.Host.StartMiniAppAsync("wx-swap-b", MiniAppVerType.Release, this.TimeoutToken);
        await this.WaitForLogAsync(r => r.EventId == 2011 && r.Message.Contains("wx-swap-b"));

        await this.WithTimeoutAsync(this.Host.LogoutAsync());

        MiniAppStartException failed = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(second));
        this.Output.WriteLine("the start failed as expected: " + failed.Message);
        Assert.Empty(this.Host.ProcessIds);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Equal(9, (await this.WaitForExitNoticeAsync(stubborn.ProcessId)).Signal);
        Assert.Equal([stubborn.ProcessId], this.Exits.Select(e => e.ProcessId));
        Assert.False(Directory.Exists($"/proc/{stubborn.ProcessId}"));
    }

    [Fact]
    public async Task DisposingTheHostWhileAProcessIsStoppedToMakeRoomLeavesNothingBehind()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, MaxMiniProcesses = 1, ShutdownTimeout = TimeSpan.FromSeconds(3) });
        MiniAppInfo stubborn = await this.OpenAsync("wx-gone-a");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-gone-a", TestEvents.IgnoreShutdown, null));
        Task<MiniAppInfo> second = this.Host.StartMiniAppAsync("wx-gone-b", MiniAppVerType.Release, this.TimeoutToken);
        await this.WaitForLogAsync(r => r.EventId == 2011 && r.Message.Contains("wx-gone-b"));

        await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());

        Exception failed = await Assert.ThrowsAnyAsync<Exception>(() => this.WithTimeoutAsync(second));
        this.Output.WriteLine("the start failed as expected: " + failed);
        Assert.True(failed is MiniAppStartException or ObjectDisposedException, failed.ToString());
        Assert.Empty(this.Host.ProcessIds);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Equal(9, (await this.WaitForExitNoticeAsync(stubborn.ProcessId)).Signal);
        Assert.Equal([stubborn.ProcessId], this.Exits.Select(e => e.ProcessId));
        Assert.False(Directory.Exists($"/proc/{stubborn.ProcessId}"));
    }

    [Fact]
    public async Task AMiniProcessServesOneLaunchLineForItsLife()
    {
        // A bare listener stands in for the host, so that the test can do what the host never does: write a second launch line.
        string pipePath = PipeLocation.CreatePrivateSocketPath();
        try
        {
            await using var listener = new PipeListener(pipePath, TimeSpan.FromSeconds(10), this.LoggerFactory.CreateLogger("IpcBroker.MainProcess"));
            listener.Start();
            var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            startInfo.ArgumentList.Add(TestMiniAppPath);
            using Process mini = Process.Start(startInfo)!;
            this.TrackPid(mini.Id);
            Task<string> stdout = mini.StandardOutput.ReadToEndAsync(this.TimeoutToken);
            Task<string> stderr = mini.StandardError.ReadToEndAsync(this.TimeoutToken);
            (PendingLaunch first, string firstLine) = Launch("wx-once-a");
            (PendingLaunch second, string secondLine) = Launch("wx-once-b");

            await mini.StandardInput.WriteLineAsync(firstLine);
            await mini.StandardInput.FlushAsync();
            (System.IO.Pipes.NamedPipeServerStream pipe, _) = await this.WithTimeoutAsync(first.Connected);
            await using IpcConnection connection = IpcConnection.Start(pipe, new IpcEventRegistry(IpcSide.Main), new IpcCaller(IpcSide.Mini, "wx-once-a", MiniAppVerType.Release, mini.Id));
            Assert.Equal("wx-once-a", (await this.WithTimeoutAsync(connection.CallAsync(TestEvents.WhoAmI, null))).Data.GetString("appId"));

            // A second launch line, then the end of the session; standard input stays open: the process serves neither
            // the line nor anything else, and exits.
            await mini.StandardInput.WriteLineAsync(secondLine);
            await mini.StandardInput.FlushAsync();
            connection.Close(IpcErrorCode.PeerDisconnected, "the test ends the session");
            await this.WithTimeoutAsync(mini.WaitForExitAsync(this.TimeoutToken));

            this.Output.WriteLine(await this.WithTimeoutAsync(stderr));
            Assert.Equal(0, mini.ExitCode);
            Assert.False(second.Connected.IsCompleted, "the second launch line was used to connect");
            Assert.Contains("second launch line", await this.WithTimeoutAsync(stderr), StringComparison.Ordinal);

            (PendingLaunch Launch, string Line) Launch(string appId)
            {
                byte[] secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(Handshake.SecretBytes);
                var launch = new PendingLaunch(new MiniAppKey(appId, MiniAppVerType.Release), PipeListener.HashSecret(secret), mini.Id);
                listener.Expect(launch);
                return (launch, new MiniLaunchInfo(pipePath, Convert.ToBase64String(secret), appId, MiniAppVerType.Release, Handshake.ProtocolVersion, Environment.ProcessId).ToLine());
            }
        }
        finally
        {
            PipeLocation.Delete(pipePath);
        }
    }

    [Fact]
    public async Task TheHostCannotWriteASecondLaunchLineToAProcess()
    {
        // cat echoes its standard input: what the handle wrote is what a mini process would have read.
        var startInfo = new ProcessStartInfo("cat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process cat = Process.Start(startInfo)!;
        this.TrackPid(cat.Id);
        Task<string> echoed = cat.StandardOutput.ReadToEndAsync(this.TimeoutToken);
        var handle = new MiniProcessHandle(cat, new StderrTail(), DateTimeOffset.UtcNow, Task.CompletedTask);
        MiniLaunchInfo Line(string appId) => new("/nowhere/host.sock", Convert.ToBase64String(new byte[Handshake.SecretBytes]), appId, MiniAppVerType.Release, Handshake.ProtocolVersion, Environment.ProcessId);

        Assert.True(handle.TrySendLaunchLine(Line("wx-line-a")));
        Assert.Throws<InvalidOperationException>(() => handle.TrySendLaunchLine(Line("wx-line-b")));

        await this.WithTimeoutAsync(handle.StopAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), this.LoggerFactory.CreateLogger("test")));
        string[] lines = (await this.WithTimeoutAsync(echoed)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["wx-line-a"], lines.Select(l => MiniLaunchInfo.Parse(l).AppId));
    }

    [Fact]
    public async Task RunningMiniAppsDescribesEachOne()
    {
        this.StartHost();
        DateTimeOffset before = DateTimeOffset.UtcNow;
        MiniAppInfo opened = await this.OpenAsync("wx-list", MiniAppVerType.Preview);
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-list", TestEvents.Echo, null));

        MiniAppInfo listed = Assert.Single(this.Host.RunningMiniApps);

        Assert.Equal(("wx-list", MiniAppVerType.Preview, opened.ProcessId, MiniAppState.Running), (listed.AppId, listed.VerType, listed.ProcessId, listed.State));
        Assert.InRange(listed.ProcessStartedAt, before, listed.StartedAt);
        Assert.True(listed.LastUsedAt > opened.LastUsedAt, "a call makes it the most recently used");
        Assert.Equal([opened.ProcessId], this.Host.ProcessIds);
    }

    [Fact]
    public async Task StopAllEndsEveryProcessWithCallsBothWaysAnswered()
    {
        var mainHandler = new TaskCompletionSource<IpcRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.MainRegistry.AddHandler("main.hang", (IpcRequest r) => { mainHandler.TrySetResult(r); });
        this.StartHost();
        MiniAppInfo a = await this.OpenAsync("wx-all-a");
        MiniAppInfo b = await this.OpenAsync("wx-all-b");
        Task<IpcResult> hostToMini = this.Host.CallMiniProcessPluginAsync("wx-all-a", TestEvents.Hang, null);
        Task<IpcResult> relay = this.Host.CallMiniProcessPluginAsync("wx-all-b", TestEvents.CallMain, new Bundle().PutString("event", "main.hang"));
        IpcRequest inMain = await this.WithTimeoutAsync(mainHandler.Task);

        await this.WithTimeoutAsync(this.Host.StopAllMiniAppAsync());

        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(hostToMini)).ErrorCode);
        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(relay)).ErrorCode);
        Assert.True(inMain.CancellationToken.IsCancellationRequested, "the main-side handler of the mini's call is told");
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Empty(this.Host.ProcessIds);

        // Reaped, not zombies: the host waited for them.
        Assert.False(Directory.Exists($"/proc/{a.ProcessId}"));
        Assert.False(Directory.Exists($"/proc/{b.ProcessId}"));
        Assert.All(this.Exits, e => Assert.True(e.StoppedByHost));
        Assert.All(this.Exits, e => Assert.Equal(0, e.ExitCode));
    }

    [Fact]
    public async Task AMiniProcessThatIgnoresTheShutdownMessageIsKilledAfterTheTimeout()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, ShutdownTimeout = TimeSpan.FromMilliseconds(500) });
        MiniAppInfo stubborn = await this.OpenAsync("wx-stubborn");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-stubborn", TestEvents.IgnoreShutdown, null));

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync("wx-stubborn")));

        MiniProcessExitedEventArgs notice = await this.WaitForExitNoticeAsync(stubborn.ProcessId);
        Assert.Equal(9, notice.Signal);
        Assert.True(notice.StoppedByHost);
        await this.WaitForLogAsync(r => r.EventId == 2006 && r.Message.Contains("wx-stubborn"));
        Assert.False(Directory.Exists($"/proc/{stubborn.ProcessId}"));
    }

    [Fact]
    public async Task WhenTheHostIsKilledEveryMiniProcessItStartedExits()
    {
        using Process host = this.StartTestHostApp("3");
        var minis = new List<int>();
        var cgroups = new List<string>();
        string? pipeDirectory = null;
        try
        {
            while (await this.WithTimeoutAsync(host.StandardOutput.ReadLineAsync()) is { } line && line != "ready")
            {
                if (line.StartsWith("pipe ", StringComparison.Ordinal))
                {
                    pipeDirectory = Path.GetDirectoryName(line["pipe ".Length..]);
                    continue;
                }

                int pid = int.Parse(line["mini ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                this.TrackPid(pid);
                minis.Add(pid);
            }

            Assert.Equal(3, minis.Count);
            Assert.All(minis, pid => Assert.False(ProcessProbe.HasEnded(pid)));
            cgroups.AddRange(minis.SelectMany(MiniCgroupDirectories));

            var clock = Stopwatch.StartNew();
            ProcessProbe.Signal(host.Id, ProcessProbe.SigKill);
            await ProcessProbe.WaitUntilEndedAsync(minis, this.TimeoutToken);
            this.Output.WriteLine($"all {minis.Count} orphaned mini processes ended {clock.Elapsed.TotalMilliseconds:0} ms after the host's SIGKILL");

            Assert.All(minis, pid => Assert.True(ProcessProbe.HasEnded(pid)));
        }
        finally
        {
            // A host killed by SIGKILL cannot remove its pipe directory, nor its mini processes' scratch directories and
            // cgroups (a later host removes them once they are a minute old); the test that killed it does, once the
            // mini processes have ended.
            if (pipeDirectory is not null && Directory.Exists(pipeDirectory))
            {
                Directory.Delete(pipeDirectory, recursive: true);
            }

            if (minis.All(ProcessProbe.HasEnded))
            {
                foreach (string scratch in Directory.GetDirectories(Path.GetTempPath(), $"{ScratchDirectory.Prefix}{host.Id}-*"))
                {
                    Assert.Null(ScratchDirectory.TryRemove(scratch));
                }

                // An orphan that has ended may be a zombie for a moment, still counted in its cgroup until it is reaped.
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
                foreach (string cgroup in cgroups.Where(Directory.Exists))
                {
                    while ((await File.ReadAllTextAsync(Path.Join(cgroup, "cgroup.procs"), this.TimeoutToken)).Trim().Length > 0)
                    {
                        await timer.WaitForNextTickAsync(this.TimeoutToken);
                    }

                    Directory.Delete(cgroup, recursive: false);
                }
            }
        }

        // The cgroup directories of a mini process's own cgroup (named ipcb-mini-...), read while it runs.
        static IEnumerable<string> MiniCgroupDirectories(int pid)
        {
            (CgroupHierarchy? unified, IReadOnlyList<CgroupHierarchy> legacy) = CgroupHierarchy.Find(
                File.ReadAllText($"/proc/{pid}/cgroup"), File.ReadAllText("/proc/self/mountinfo"));
            return legacy.Append(unified).OfType<CgroupHierarchy>()
                .Select(h => h.HostDirectory)
                .Where(d => Path.GetFileName(d).StartsWith(MiniCgroupSupport.NamePrefix, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task OpeningAndStoppingMiniProgramsLeavesNoProcessSocketOrDescriptorBehind()
    {
        // A host and 11 mini processes one after another: far more than 20 s on a loaded 2-core machine.
        this.ExtendTimeout(ManyProcessesTimeout);
        // A host of its own, so that no other test's descriptors or children are counted.
        using Process host = this.StartTestHostApp("cycle", "10");
        string pipe = (await this.WithTimeoutAsync(host.StandardOutput.ReadLineAsync()))!["pipe ".Length..];
        try
        {
            await host.StandardInput.WriteLineAsync("warm up");
            await host.StandardInput.FlushAsync();
            Assert.Equal("warm", await this.WithTimeoutAsync(host.StandardOutput.ReadLineAsync()));
            SortedDictionary<string, int> before = ProcessProbe.OpenNonFileDescriptors(host.Id);

            await host.StandardInput.WriteLineAsync("go");
            await host.StandardInput.FlushAsync();
            var minis = new List<int>();
            while (await this.WithTimeoutAsync(host.StandardOutput.ReadLineAsync()) is { } line && line != "done")
            {
                int pid = int.Parse(line["mini ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                this.TrackPid(pid);
                minis.Add(pid);
            }

            SortedDictionary<string, int> after = ProcessProbe.OpenNonFileDescriptors(host.Id);
            this.Output.WriteLine($"descriptors after the warm-up: {string.Join(", ", before)}; after 10 more: {string.Join(", ", after)}");
            Assert.Equal(10, minis.Distinct().Count());
            // Every mini process reaped: none alive, no zombie; the one child left is the host's spare, ready to bind.
            int spare = Assert.Single(ProcessProbe.ChildrenOf(host.Id));
            this.TrackPid(spare);
            Assert.DoesNotContain(spare, minis);
            Assert.Equal(before, after);
            Assert.Equal(["host.sock"], Directory.GetFileSystemEntries(Path.GetDirectoryName(pipe)!).Select(Path.GetFileName));

            host.StandardInput.Close();
            await this.WithTimeoutAsync(host.WaitForExitAsync(this.TimeoutToken));
            Assert.Equal(0, host.ExitCode);
            Assert.False(Directory.Exists(Path.GetDirectoryName(pipe)), "the host removes its pipe directory when it ends");
        }
        finally
        {
            // On failure the host is still running: end it by its id; killed, it cannot remove its pipe directory.
            if (!host.HasExited)
            {
                host.Kill();
                await this.WithTimeoutAsync(host.WaitForExitAsync(this.TimeoutToken));
            }

            if (Directory.Exists(Path.GetDirectoryName(pipe)))
            {
                Directory.Delete(Path.GetDirectoryName(pipe)!, recursive: true);
            }
        }
    }

    [Fact]
    public async Task LogoutFailsCallsInFlightWithLoggedOutAndStopsEverything()
    {
        var mainHandler = new TaskCompletionSource<IpcRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.MainRegistry.AddHandler("main.hang", (IpcRequest r) => { mainHandler.TrySetResult(r); });
        this.StartHost();
        this.Host.SignIn("alice");
        await this.OpenAsync("wx-out-a");
        await this.OpenAsync("wx-out-b", MiniAppVerType.Develop);
        Task<IpcResult> hostToMini = this.Host.CallMiniProcessPluginAsync("wx-out-a", TestEvents.Hang, null);
        Task<IpcResult> relay = this.Host.CallMiniProcessPluginAsync("wx-out-b", TestEvents.CallMain, new Bundle().PutString("event", "main.hang"));
        IpcRequest inMain = await this.WithTimeoutAsync(mainHandler.Task);

        await this.WithTimeoutAsync(this.Host.LogoutAsync());

        IpcResult failed = await this.WithTimeoutAsync(hostToMini);
        Assert.Equal(IpcErrorCode.LoggedOut, failed.ErrorCode);
        Assert.Contains("logged out", failed.ErrorMessage);
        Assert.Equal(IpcErrorCode.LoggedOut, (await this.WithTimeoutAsync(relay)).ErrorCode);
        Assert.True(inMain.CancellationToken.IsCancellationRequested);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Empty(this.Host.ProcessIds);
        Assert.Null(this.Host.UserId);
        Assert.Equal(2, this.Exits.Count);
    }

    [Fact]
    public async Task AStaleMiniProcessThatComesBackAfterLogoutCanNeitherAnswerNorReconnect()
    {
        // Long enough that the stopped process is not killed before it is continued.
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, ShutdownTimeout = TimeSpan.FromSeconds(15) });
        this.Host.SignIn("alice");
        MiniAppInfo stale = await this.OpenAsync("wx-stale");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-stale", TestEvents.ArmReconnect, null));
        Task<IpcResult> answerLater = this.Host.CallMiniProcessPluginAsync("wx-stale", TestEvents.DelayedEcho, new Bundle().PutInt("delayMs", 200));
        await this.WaitForLogAsync(r => r.EventId == 2007 && r.Message.Contains("DELAYED-ECHO started"));

        ProcessProbe.Signal(stale.ProcessId, ProcessProbe.SigStop);
        Task logout = this.Host.LogoutAsync();
        IpcResult outcome = await this.WithTimeoutAsync(answerLater);
        Assert.Equal(IpcErrorCode.LoggedOut, outcome.ErrorCode);

        ProcessProbe.Signal(stale.ProcessId, ProcessProbe.SigCont);

        // It wakes, answers into a closed connection, tries the old launch line again, and is refused: by the host (its
        // secret is spent), or, sandboxed, before it gets there (its one connection is spent, and it may open no other).
        TestLogRecord refused = await this.WaitForLogAsync(r => r.EventId == 2007 && r.Message.Contains("RECONNECT"));
        Assert.Contains("RECONNECT refused", refused.Message);
        if (this.Host.Protections.PreConnectedSocket)
        {
            Assert.Contains("used already", refused.Message);
        }
        else
        {
            await this.WaitForLogAsync(r => r.EventId == 2002 && r.Message.Contains("unknown, used or revoked secret"));
        }
        await this.WithTimeoutAsync(logout);

        Assert.Equal(IpcErrorCode.LoggedOut, outcome.ErrorCode);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.True((await this.WaitForExitNoticeAsync(stale.ProcessId)).ExitCode == 0, "it exited by itself once continued");
    }

    [Fact]
    public async Task SandboxesAreKeyedByUserAndAppSoTheNextUserSeesNoneOfThePreviousUsersFiles()
    {
        string root = Path.Combine(Path.GetTempPath(), "ipcb-sandbox-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SandboxRoot = root });
            this.Host.SignIn("alice");
            await this.OpenAsync("wx-notes");
            IpcResult written = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-notes", TestEvents.WriteSandbox, new Bundle().PutString("name", "diary.txt").PutString("content", "alice's secret")));
            Assert.True(written.IsSuccess, written.ToString());
            string aliceFile = written.Data.GetString("path")!;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(aliceFile)!));
            Assert.DoesNotContain("alice", aliceFile);

            Assert.Throws<InvalidOperationException>(() => this.Host.SignIn("bob"));
            await this.WithTimeoutAsync(this.Host.LogoutAsync());
            this.Host.SignIn("bob");
            await this.OpenAsync("wx-notes");
            IpcResult bobs = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-notes", TestEvents.ListSandbox, null));

            Assert.Empty(bobs.Data.GetStringArray("files")!);
            Assert.NotEqual(Path.GetDirectoryName(aliceFile), bobs.Data.GetString("sandbox"));
            Assert.True(File.Exists(aliceFile), "alice's files stay for her next sign-in");

            await this.WithTimeoutAsync(this.Host.LogoutAsync());
            this.Host.SignIn("alice");
            await this.OpenAsync("wx-notes");
            Assert.Equal(new[] { "diary.txt" }, (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-notes", TestEvents.ListSandbox, null))).Data.GetStringArray("files")!.Select(f => f!));
        }
        finally
        {
            await this.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task AUserCannotSignInOverAnotherOrOverRunningGuestMiniPrograms()
    {
        this.StartHost();
        await this.OpenAsync("wx-guest");

        var overGuest = Assert.Throws<InvalidOperationException>(() => this.Host.SignIn("alice"));
        Assert.Contains("still running", overGuest.Message);

        await this.WithTimeoutAsync(this.Host.StopAllMiniAppAsync());
        this.Host.SignIn("alice");
        this.Host.SignIn("alice");
        Assert.Contains("LogoutAsync", Assert.Throws<InvalidOperationException>(() => this.Host.SignIn("bob")).Message);
        Assert.Equal("alice", this.Host.UserId);
    }

    /// <summary>
    /// A logout whose wait was cancelled goes on; until its participants have run (revoking the open APIs' sessions), no user
    /// may sign in, or they would run during the new user's session.
    /// </summary>
    [Fact]
    public async Task NoUserSignsInWhileTheLogoutBeforeIsStillRunningItsParticipants()
    {
        this.StartHost();
        this.Host.SignIn("alice");
        MiniAppInfo info = await this.OpenAsync("wx-logout-race");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.Host.OnLogout(async () =>
        {
            await release.Task; // a slow participant: an fsync, a network revoke
            ran.TrySetResult(this.Host.UserId);
        });

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.Host.LogoutAsync(cancelled.Token));

        // The processes are gone (the slot is left before the notice is raised), the participant not yet run.
        await this.WaitForExitNoticeAsync(info.ProcessId);
        Assert.Empty(this.Host.ProcessIds);
        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => this.Host.SignIn("bob"));
        Assert.Contains("logout", refused.Message, StringComparison.OrdinalIgnoreCase);

        release.SetResult();
        Assert.Null(await this.WithTimeoutAsync(ran.Task));
        Assert.Null(this.Host.UserId);
    }

    /// <summary>A logout participant that never completes is left behind: the logout ends, and the next user signs in.</summary>
    [Fact]
    public async Task ALogoutParticipantThatNeverCompletesIsLeftBehind()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, LogoutParticipantTimeout = TimeSpan.FromMilliseconds(200) });
        this.Host.SignIn("alice");
        this.Host.OnLogout(() => new TaskCompletionSource().Task);

        await this.WithTimeoutAsync(this.Host.LogoutAsync());

        this.Host.SignIn("bob");
        Assert.Equal("bob", this.Host.UserId);
        await this.WaitForLogAsync(r => r.EventId == 2086);
    }

    [Fact]
    public async Task AStartUnderWayWhenTheUserLogsOutLeavesNothingBehind()
    {
        this.StartHost();
        this.Host.SignIn("alice");
        Task<MiniAppInfo> start = this.Host.StartMiniAppAsync("wx-racing");

        await this.WithTimeoutAsync(this.Host.LogoutAsync());

        try
        {
            MiniAppInfo started = await this.WithTimeoutAsync(start);
            this.TrackPid(started.ProcessId);
        }
        catch (MiniAppStartException ex)
        {
            this.Output.WriteLine("the start failed as expected: " + ex.Message);
        }

        await this.WithTimeoutAsync(this.Host.StopAllMiniAppAsync());
        Assert.Empty(this.Host.ProcessIds);
        Assert.Empty(this.Host.RunningMiniApps);
    }

    [Fact]
    public async Task AnOpenBeyondTheCapWhileEverySlotIsStartingWaitsForASlot()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, MaxMiniProcesses = 1 });

        // The first open takes the only slot and is still starting when the second comes.
        Task<MiniAppInfo> first = this.OpenAsync("wx-slot-1");
        Task<MiniAppInfo> second = this.OpenAsync("wx-slot-2");
        (int most, _) = await this.SampleProcessIdsUntilAsync(Task.WhenAll(first, second));

        MiniAppInfo one = await first;
        MiniAppInfo two = await second;

        // The second waited for the first to settle, then stopped it as the least recently used and got a process of its own.
        Assert.NotEqual(one.ProcessId, two.ProcessId);
        Assert.Equal(1, most);
        Assert.Equal(["wx-slot-2"], this.Host.RunningMiniApps.Select(a => a.AppId));
        Assert.Equal([two.ProcessId], this.Host.ProcessIds);
        Assert.Equal("wx-slot-2", (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-slot-2", TestEvents.WhoAmI, null))).Data.GetString("appId"));
        MiniProcessExitedEventArgs notice = await this.WaitForExitNoticeAsync(one.ProcessId);
        Assert.Equal(("wx-slot-1", true), (notice.AppId, notice.StoppedByHost));
    }

    [Fact]
    public async Task AStartThatGivesUpAsItsProcessIsAdmittedClosesTheAcceptedPipe()
    {
        var admitted = new TaskCompletionSource<System.IO.Pipes.NamedPipeServerStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,

            // Gives up at once; the hook then holds the start until the process has been admitted: the race, made certain.
            StartTimeout = TimeSpan.FromMilliseconds(1),
            BeforeAbandoningStart = async launch =>
            {
                (System.IO.Pipes.NamedPipeServerStream pipe, _) = await launch.Connected.WaitAsync(this.TimeoutToken);
                this.TrackPid(launch.ProcessId);
                admitted.TrySetResult(pipe);
            },
        });

        await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-late", MiniAppVerType.Release, this.TimeoutToken)));

        System.IO.Pipes.NamedPipeServerStream accepted = await this.WithTimeoutAsync(admitted.Task);
        Assert.False(accepted.IsConnected, "the pipe of the abandoned start is closed, not left open");
    }

    [Fact]
    public async Task AStartThatFailsBeforeItIsRegisteredDoesNotStayInTheStartingTable()
    {
        // A native launcher script, so that a missing file fails Process.Start itself (synchronously, on the opener's thread).
        string script = Path.Combine(Path.GetTempPath(), "ipcb-launch-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(script, $"#!/bin/sh\nexec '{ProcessProbe.DotnetHost}' '{TestMiniAppPath}' \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            // Sandboxed, the script may run only what it is granted: the test mini app's directory too.
            // No spare: one started before the move would serve the open below instead of the failing start under test.
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = script, RunStartsInline = true, SpareProcesses = 0, Sandbox = new() { ReadOnlyPaths = [Path.GetDirectoryName(TestMiniAppPath)!] } });
            File.Move(script, script + ".away");

            await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-retry", MiniAppVerType.Release, this.TimeoutToken)));

            // The failed start is forgotten: once the executable is back, the next open starts afresh.
            File.Move(script + ".away", script);
            MiniAppInfo started = await this.OpenAsync("wx-retry");
            Assert.Equal("wx-retry", (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-retry", TestEvents.WhoAmI, null))).Data.GetString("appId"));
            Assert.Equal([started.ProcessId], this.Host.ProcessIds);
        }
        finally
        {
            await this.DisposeAsync();
            File.Delete(script);
            File.Delete(script + ".away");
        }
    }

    [Fact]
    public async Task LogoutRevokesTheSessionsEvenWhenAKilledProcessIsNotReapedInTime()
    {
        var revoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),

            // No time at all to be reaped after the kill (zero reports every reap as late): the wait fails, as a wedged reaper's would after 10 s.
            ReapTimeout = TimeSpan.Zero,
        });
        this.Host.OnLogout(() =>
        {
            revoked.TrySetResult();
            return Task.CompletedTask;
        });
        this.Host.SignIn("alice");
        MiniAppInfo stubborn = await this.OpenAsync("wx-unreaped");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-unreaped", TestEvents.IgnoreShutdown, null));

        await Assert.ThrowsAsync<TimeoutException>(() => this.WithTimeoutAsync(this.Host.LogoutAsync()));

        Assert.True(revoked.Task.IsCompleted, "the logout participants ran although a process was not reaped in time");
        Assert.Null(this.Host.UserId);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Equal(9, (await this.WaitForExitNoticeAsync(stubborn.ProcessId)).Signal);
    }

    [Fact]
    public async Task TheListenerKeepsAcceptingAfterAnUnexpectedFailure()
    {
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int accepts = 0;
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            AfterAccept = () =>
            {
                if (Interlocked.Increment(ref accepts) == 1)
                {
                    failed.TrySetResult();
                    throw new InvalidOperationException("a bug in the accept loop");
                }
            },
        });

        await using (var stray = new System.IO.Pipes.NamedPipeClientStream(".", this.Host.PipePath, System.IO.Pipes.PipeDirection.InOut, System.IO.Pipes.PipeOptions.Asynchronous))
        {
            await stray.ConnectAsync(this.TimeoutToken);
            await this.WithTimeoutAsync(failed.Task);
        }

        MiniAppInfo opened = await this.OpenAsync("wx-after-failure");

        Assert.Equal("wx-after-failure", (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-after-failure", TestEvents.WhoAmI, null))).Data.GetString("appId"));
        Assert.Equal([opened.ProcessId], this.Host.ProcessIds);
        TestLogRecord logged = await this.WaitForLogAsync(r => r.EventId == 2015);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, logged.Level);
        Assert.IsType<InvalidOperationException>(logged.Exception);
    }

    /// <summary>
    /// Reads <see cref="MiniAppHost.ProcessIds"/> over and over until <paramref name="until"/> completes (or the test's
    /// time is up): the most processes seen at once, and every pid seen. A sample, not a proof: it catches a cap exceeded
    /// for longer than a few milliseconds.
    /// </summary>
    private async Task<(int Most, IReadOnlySet<int> Seen)> SampleProcessIdsUntilAsync(Task until)
    {
        int most = 0;
        var seen = new HashSet<int>();
        while (true)
        {
            bool last = until.IsCompleted || this.TimeoutToken.IsCancellationRequested;
            IReadOnlyList<int> now = this.Host.ProcessIds;
            most = Math.Max(most, now.Count);
            seen.UnionWith(now);
            if (last)
            {
                return (most, seen);
            }

            // Sampling, not synchronisation: the loop ends with the awaited task, whatever it sees.
            await Task.WhenAny(until, Task.Delay(1, this.TimeoutToken));
        }
    }

    /// <summary>Starts <c>tests/IpcBroker.TestHostApp</c> (usage in its Program.cs) with the test mini app, tracked for cleanup.</summary>
    private Process StartTestHostApp(params string[] args)
    {
        var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { RedirectStandardInput = true, RedirectStandardOutput = true };
        startInfo.ArgumentList.Add(TestHostAppPath);
        startInfo.ArgumentList.Add(TestMiniAppPath);
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        Process host = Process.Start(startInfo)!;
        this.TrackPid(host.Id);
        return host;
    }
}
