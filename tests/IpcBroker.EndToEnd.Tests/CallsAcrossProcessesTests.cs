using System.Diagnostics;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>Calls both ways between this process (the host) and real mini program processes over a real pipe.</summary>
public class CallsAcrossProcessesTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task HostAndMiniCallEachOtherWithExactTypesAndKernelIdentity()
    {
        IpcCaller? seen = null;
        this.MainRegistry.AddHandler(WellKnownEvents.GetUserId, request =>
        {
            seen = request.Caller;
            return Task.FromResult(new Bundle().PutString("userId", "u-1").PutString("nickName", "Ada"));
        });
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-e2e", MiniAppVerType.Develop);

        IpcResult echo = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-e2e", TestEvents.Echo, BundleTestData.EveryKind()));
        IpcResult viaMini = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-e2e", TestEvents.CallMain, new Bundle().PutString("event", WellKnownEvents.GetUserId)));
        IpcResult who = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-e2e", MiniAppVerType.Develop, TestEvents.WhoAmI, null));

        Assert.True(echo.IsSuccess, echo.ToString());
        Assert.Equal(BundleTestData.EveryKind(), echo.Data);
        Assert.True(viaMini.Data.GetBoolean("ok"), viaMini.ToString());
        Assert.Equal("u-1", viaMini.Data.GetBundle("data")!.GetString("userId"));

        // The main side's handler saw the caller the broker bound to the session: the kernel's pid, not a payload field.
        Assert.Equal(new IpcCaller(IpcSide.Mini, "wx-e2e", MiniAppVerType.Develop, mini.ProcessId), seen);
        Assert.Equal(mini.ProcessId, who.Data.GetInt("pid"));
        Assert.True(who.Data.GetBoolean("isMiniProcess"));
        Assert.Equal("Main", who.Data.GetString("callerSide"));
        Assert.Equal(Environment.ProcessId, who.Data.GetInt("callerPid"));
    }

    [Fact]
    public async Task PayloadsPastTheHostWideBudgetAreRefusedAndTheMiniProgramIsKept()
    {
        // Each connection alone may receive 64 MiB; the host as a whole only 256 KiB here.
        this.StartHost(this.HostOptions with { MaxPayloadBytesAcrossMiniProcesses = 256 * 1024 });
        await this.OpenAsync("wx-budget");
        Bundle large = new Bundle().PutByteArray("blob", new byte[512 * 1024]);
        Bundle fits = new Bundle().PutByteArray("blob", new byte[128 * 1024]);

        // The answer comes back on a payload channel, which the host charges as it arrives.
        IpcResult refused = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-budget", TestEvents.Echo, large));
        IpcResult served = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-budget", TestEvents.Echo, fits));

        Assert.Equal(IpcErrorCode.LimitsExceeded, refused.ErrorCode);
        Assert.True(served.IsSuccess, served.ToString());
        Assert.Equal(fits, served.Data);
    }

    [Fact]
    public async Task TraceContextCrossesIntoTheMiniProcess()
    {
        this.StartHost();
        await this.OpenAsync("wx-trace");

        using var root = new System.Diagnostics.Activity("host work").Start();
        IpcResult seen = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-trace", TestEvents.Trace, null));
        root.Stop();

        Assert.Equal(root.TraceId.ToHexString(), seen.Data.GetString("traceId"));
        Assert.NotEqual(new string('0', 16), seen.Data.GetString("parentSpanId"));
    }

    [Fact]
    public async Task CallbackFormAnswersExactlyOnce()
    {
        this.StartHost();
        await this.OpenAsync("wx-cb");
        int calls = 0;
        var first = new TaskCompletionSource<(bool, Bundle)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var callback = new IpcCallback((ok, bundle) =>
        {
            Interlocked.Increment(ref calls);
            first.TrySetResult((ok, bundle));
        });

        this.Host.CallMiniProcessPlugin("wx-cb", TestEvents.Echo, new Bundle().PutInt("n", 5), callback);
        (bool ok, Bundle response) = await this.WithTimeoutAsync(first.Task);

        Assert.True(ok);
        Assert.Equal(5, response.GetInt("n"));

        // A later call on the same connection completes after any duplicate would have been delivered.
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-cb", TestEvents.Echo, null));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task FailuresAcrossTheBoundaryCarryCodesAndNoInternals()
    {
        this.MainRegistry.AddHandler("main.throws", ThrowAsync);
        this.StartHost();
        await this.OpenAsync("wx-fail");

        IpcResult noHandlerInMini = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-fail", "no.such.event", null));
        IpcResult notRunning = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-absent", TestEvents.Echo, null));
        IpcResult viaMini = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-fail", TestEvents.CallMain, new Bundle().PutString("event", "main.throws")));
        IpcResult noHandlerInMain = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-fail", TestEvents.CallMain, new Bundle().PutString("event", "main.absent")));

        Assert.Equal(IpcErrorCode.NoHandler, noHandlerInMini.ErrorCode);
        Assert.Equal(IpcErrorCode.ProcessNotRunning, notRunning.ErrorCode);
        Assert.Equal((int)IpcErrorCode.HandlerFailed, viaMini.Data.GetInt("errCode"));
        Assert.DoesNotContain("connection string", viaMini.Data.GetString("errMsg"));
        Assert.DoesNotContain("Exception", viaMini.Data.GetString("errMsg"));
        Assert.Equal((int)IpcErrorCode.NoHandler, noHandlerInMain.Data.GetInt("errCode"));

        static Task<Bundle> ThrowAsync(IpcRequest request) => throw new InvalidOperationException("connection string Password=hunter2 rejected");
    }

    [Fact]
    public async Task HandlerThatNeverAnswersIsATimeoutAtTheCallersDeadline()
    {
        this.StartHost();
        await this.OpenAsync("wx-hang");

        IpcResult result = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-hang", TestEvents.Hang, null, new IpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal(IpcErrorCode.Timeout, result.ErrorCode);

        // The connection is fine afterwards.
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-hang", TestEvents.Echo, null))).IsSuccess);
    }

    [Fact]
    public async Task KillingAMiniProcessFailsPendingCallsBothWaysAndRaisesTheNotice()
    {
        var mainHandlerStarted = new TaskCompletionSource<IpcRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.MainRegistry.AddHandler("main.hang", (IpcRequest request) => { mainHandlerStarted.TrySetResult(request); });
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-kill");

        // In flight: host -> mini (never answered), and mini -> main (the main handler holds it).
        Task<IpcResult> hostToMini = this.Host.CallMiniProcessPluginAsync("wx-kill", TestEvents.Hang, null);
        Task<IpcResult> relay = this.Host.CallMiniProcessPluginAsync("wx-kill", TestEvents.CallMain, new Bundle().PutString("event", "main.hang"));
        IpcRequest inMain = await this.WithTimeoutAsync(mainHandlerStarted.Task);
        await AssertStillPendingAsync(hostToMini);

        var clock = Stopwatch.StartNew();
        using (Process process = Process.GetProcessById(mini.ProcessId))
        {
            process.Kill();
        }

        IpcResult failed = await this.WithTimeoutAsync(hostToMini);
        TimeSpan noticed = clock.Elapsed;
        IpcResult failedRelay = await this.WithTimeoutAsync(relay);
        await this.WithTimeoutAsync(Task.Delay(Timeout.Infinite, inMain.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default));
        MiniProcessExitedEventArgs notice = await this.WaitForExitNoticeAsync(mini.ProcessId);
        this.Output.WriteLine($"pending call failed {noticed.TotalMilliseconds:0.0} ms after SIGKILL; exit notice by {clock.Elapsed.TotalMilliseconds:0.0} ms: {notice}");

        Assert.Equal(IpcErrorCode.PeerDisconnected, failed.ErrorCode);
        Assert.Equal(IpcErrorCode.PeerDisconnected, failedRelay.ErrorCode);
        Assert.True(inMain.CancellationToken.IsCancellationRequested);
        Assert.Equal(137, notice.ExitCode);
        Assert.Equal(9, notice.Signal);
        Assert.False(notice.StoppedByHost);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Equal(IpcErrorCode.ProcessNotRunning, (await this.Host.CallMiniProcessPluginAsync("wx-kill", TestEvents.Echo, null)).ErrorCode);

        // The next start gets a fresh process.
        MiniAppInfo again = await this.OpenAsync("wx-kill");
        Assert.NotEqual(mini.ProcessId, again.ProcessId);
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-kill", TestEvents.Echo, null))).IsSuccess);
    }

    [Fact]
    public async Task AMiniProcessThatExitsOnItsOwnIsNoticedWithItsExitCode()
    {
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-exit");

        IpcResult result = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-exit", TestEvents.Exit, new Bundle().PutInt("code", 3)));
        MiniProcessExitedEventArgs notice = await this.WaitForExitNoticeAsync(mini.ProcessId);

        Assert.Equal(IpcErrorCode.PeerDisconnected, result.ErrorCode);
        Assert.Equal(3, notice.ExitCode);
        Assert.Null(notice.Signal);
    }

    [Fact]
    public async Task AHungOrDyingMiniNeverStallsAnother()
    {
        this.StartHost();
        MiniAppInfo bad = await this.OpenAsync("wx-bad");
        await this.OpenAsync("wx-good");

        Task<IpcResult>[] stuck = Enumerable.Range(0, 20).Select(_ => this.Host.CallMiniProcessPluginAsync("wx-bad", TestEvents.Hang, null)).ToArray();
        for (int i = 0; i < 50; i++)
        {
            Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-good", TestEvents.Echo, new Bundle().PutInt("i", i)))).IsSuccess);
        }

        using (Process process = Process.GetProcessById(bad.ProcessId))
        {
            process.Kill();
        }

        foreach (Task<IpcResult> call in stuck)
        {
            Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(call)).ErrorCode);
        }

        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-good", TestEvents.Echo, null))).IsSuccess);
    }

    [Fact]
    public async Task OpeningARunningMiniAppReactivatesItAndBuildsAreSeparate()
    {
        this.StartHost();
        MiniAppInfo release = await this.OpenAsync("wx-twice");
        MiniAppInfo again = await this.OpenAsync("wx-twice");
        MiniAppInfo develop = await this.OpenAsync("wx-twice", MiniAppVerType.Develop);

        Assert.Equal(release.ProcessId, again.ProcessId);
        Assert.True(again.LastUsedAt >= release.LastUsedAt);
        Assert.NotEqual(release.ProcessId, develop.ProcessId);
        Assert.Equal(2, this.Host.RunningMiniApps.Count);
        Assert.Equal(develop.ProcessId, (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-twice", MiniAppVerType.Develop, TestEvents.WhoAmI, null))).Data.GetInt("pid"));
        Assert.Equal(release.ProcessId, (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-twice", TestEvents.WhoAmI, null))).Data.GetInt("pid"));
    }

    [Fact]
    public async Task StopFailsPendingCallsAndLeavesNothingBehind()
    {
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-stop");
        Task<IpcResult> pending = this.Host.CallMiniProcessPluginAsync("wx-stop", TestEvents.Hang, null);
        await AssertStillPendingAsync(pending);

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync("wx-stop")));

        IpcResult result = await this.WithTimeoutAsync(pending);
        Assert.Equal(IpcErrorCode.PeerDisconnected, result.ErrorCode);
        Assert.Contains("stopped", result.ErrorMessage);
        Assert.False(IsAlive(mini.ProcessId));
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.True((await this.WaitForExitNoticeAsync(mini.ProcessId)).StoppedByHost);

        string directory = Path.GetDirectoryName(this.Host.PipePath)!;
        await this.Host.DisposeAsync();
        Assert.False(Directory.Exists(directory), "the pipe's directory is removed when the host is disposed");
    }

    [Fact]
    public async Task ABundleHoldingA16MiBByteArrayGoesEachWayWithTheDefaultLimits()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath });
        await this.OpenAsync("wx-sixteen");
        byte[] blob = new byte[16 * 1024 * 1024];
        new Random(16).NextBytes(blob);
        Bundle request = new Bundle().PutByteArray("blob", blob).PutString("tag", "sixteen");

        // The echo carries it host -> mini in the request and mini -> host in the answer.
        IpcResult echoed = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-sixteen", TestEvents.Echo, request));

        Assert.True(echoed.IsSuccess, echoed.ToString());
        Assert.Equal(request, echoed.Data);
    }

    [Fact]
    public async Task OversizedBundleIsLimitsExceededAndTheConnectionSurvives()
    {
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            Connection = new IpcConnectionOptions { Limits = new BundleLimits { MaxBytes = 64 * 1024 } },
        });
        await this.OpenAsync("wx-big");

        IpcResult tooBig = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-big", TestEvents.Echo, new Bundle().PutByteArray("blob", new byte[100_000])));
        IpcResult fine = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-big", TestEvents.Echo, new Bundle().PutByteArray("blob", new byte[50_000])));

        Assert.Equal(IpcErrorCode.LimitsExceeded, tooBig.ErrorCode);
        Assert.Contains("MaxBytes", tooBig.ErrorMessage);
        Assert.True(fine.IsSuccess, fine.ToString());
        Assert.Equal(50_000, fine.Data.GetByteArray("blob")!.Length);
    }
}
