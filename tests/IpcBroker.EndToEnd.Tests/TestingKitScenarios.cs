using System.Collections.Concurrent;
using System.Diagnostics;
using IpcBroker.Diagnostics;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using IpcBroker.Testing;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The testing kit's promise: the same test code over in-memory streams and with real processes.</summary>
public abstract class TestingKitScenarios(ITestOutputHelper output) : TestBase(output)
{
    /// <summary>Makes the broker under test.</summary>
    /// <param name="options">Host settings (the cap), or null for the defaults.</param>
    protected abstract IIpcTestBroker CreateBroker(MiniAppHostOptions? options = null);

    /// <summary>Opens a mini program; with real processes its pid is remembered, to be ended when the test ends.</summary>
    protected virtual Task<IpcTestMiniApp> OpenAsync(IIpcTestBroker broker, string appId) => this.WithTimeoutAsync(broker.OpenMiniAppAsync(appId, MiniAppVerType.Release, this.TimeoutToken));

    [Fact]
    public async Task AtTheCapTheLeastRecentlyUsedMiniProgramIsStoppedAndItsCallsFail()
    {
        await using IIpcTestBroker broker = this.CreateBroker(new MiniAppHostOptions { MaxMiniProcesses = 2 });
        var exits = new ExitNotices(broker);
        IpcTestMiniApp oldest = await this.OpenAsync(broker, "wx-cap-a");

        // A call that never answers, made before the second opens: the first stays the least recently used.
        Task<IpcResult> pending = broker.CallMiniProcessPluginAsync("wx-cap-a", TestEvents.Hang, null, null, this.TimeoutToken);
        IpcTestMiniApp second = await this.OpenAsync(broker, "wx-cap-b");
        IpcTestMiniApp third = await this.OpenAsync(broker, "wx-cap-c");

        IpcResult failed = await this.WithTimeoutAsync(pending);
        MiniProcessExitedEventArgs notice = await exits.WaitForAsync(oldest.ProcessId, this.TimeoutToken);
        IpcResult after = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-cap-a", TestEvents.Echo, null, null, this.TimeoutToken));
        IpcResult fromSecond = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-cap-b", TestEvents.Echo, new Bundle().PutInt("n", 2), null, this.TimeoutToken));
        IpcResult fromThird = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-cap-c", TestEvents.Echo, new Bundle().PutInt("n", 3), null, this.TimeoutToken));

        Assert.Equal(2, broker.MaxMiniProcesses);
        Assert.Equal(IpcErrorCode.PeerDisconnected, failed.ErrorCode);
        Assert.Contains("wx-cap-c", failed.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(("wx-cap-a", true), (notice.AppId, notice.StoppedByHost));
        Assert.Equal(IpcErrorCode.ProcessNotRunning, after.ErrorCode);
        Assert.Equal((2, 3), (fromSecond.Data.GetInt("n"), fromThird.Data.GetInt("n")));
        Assert.Equal(new[] { second.ProcessId, third.ProcessId }.Order(), broker.ProcessIds);
    }

    [Fact]
    public async Task OpeningAnOpenMiniProgramReactivatesItInItsProcess()
    {
        await using IIpcTestBroker broker = this.CreateBroker(new MiniAppHostOptions { MaxMiniProcesses = 2 });
        var exits = new ExitNotices(broker);
        IpcTestMiniApp first = await this.OpenAsync(broker, "wx-again-a");
        IpcTestMiniApp other = await this.OpenAsync(broker, "wx-again-b");

        IpcTestMiniApp again = await this.OpenAsync(broker, "wx-again-a");
        int[] afterReopen = [.. broker.ProcessIds];

        // Reactivated, it is the most recently used: the next open at the cap stops the other one.
        IpcTestMiniApp third = await this.OpenAsync(broker, "wx-again-c");
        MiniProcessExitedEventArgs notice = await exits.WaitForAsync(other.ProcessId, this.TimeoutToken);
        IpcResult echoed = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-again-a", TestEvents.Echo, new Bundle().PutInt("n", 1), null, this.TimeoutToken));

        Assert.Equal(first.ProcessId, again.ProcessId);
        Assert.Equal(new[] { first.ProcessId, other.ProcessId }.Order(), afterReopen);
        Assert.Equal("wx-again-b", notice.AppId);
        Assert.DoesNotContain(exits.Seen, e => e.ProcessId == first.ProcessId);
        Assert.Equal(1, echoed.Data.GetInt("n"));
        Assert.Equal(new[] { first.ProcessId, third.ProcessId }.Order(), broker.ProcessIds);
    }

    [Fact]
    public async Task LogoutStopsEveryMiniProgramAndFailsItsCalls()
    {
        await using IIpcTestBroker broker = this.CreateBroker();
        var exits = new ExitNotices(broker);
        broker.SignIn("user-kit");
        IpcTestMiniApp first = await this.OpenAsync(broker, "wx-out-a");
        IpcTestMiniApp second = await this.OpenAsync(broker, "wx-out-b");
        Task<IpcResult> pending = broker.CallMiniProcessPluginAsync("wx-out-a", TestEvents.Hang, null, null, this.TimeoutToken);

        await this.WithTimeoutAsync(broker.LogoutAsync(this.TimeoutToken));

        IpcResult inFlight = await this.WithTimeoutAsync(pending);
        IpcResult after = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-out-b", TestEvents.Echo, null, null, this.TimeoutToken));
        MiniProcessExitedEventArgs firstExit = await exits.WaitForAsync(first.ProcessId, this.TimeoutToken);
        MiniProcessExitedEventArgs secondExit = await exits.WaitForAsync(second.ProcessId, this.TimeoutToken);

        Assert.Equal(IpcErrorCode.LoggedOut, inFlight.ErrorCode);
        Assert.Equal(IpcErrorCode.ProcessNotRunning, after.ErrorCode);
        Assert.Empty(broker.ProcessIds);
        Assert.True(firstExit.StoppedByHost && secondExit.StoppedByHost);

        // Nothing of the session is left: the next user signs in and gets a new process.
        broker.SignIn("user-kit-2");
        IpcTestMiniApp reopened = await this.OpenAsync(broker, "wx-out-a");
        Assert.NotEqual(first.ProcessId, reopened.ProcessId);
    }

    [Fact]
    public async Task AHostCallReachesTheMiniProgramAndIsRecorded()
    {
        await using IIpcTestBroker broker = this.CreateBroker();
        IpcTestMiniApp mini = await this.OpenAsync(broker, "wx-kit");
        try
        {
            IpcResult echoed = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-kit", TestEvents.Echo, new Bundle().PutInt("n", 7)));
            IpcResult missing = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-kit", "no.such", null));

            Assert.Equal(7, echoed.Data.GetInt("n"));
            IpcCallRecord call = await broker.Recorder.WaitForCallAsync(c => c.EventId == TestEvents.Echo, this.TimeoutToken);
            Assert.True(call.Outgoing);
            Assert.Equal(("wx-kit", mini.ProcessId), (call.Peer.AppId, call.Peer.ProcessId));
            Assert.Equal(7, call.Request.GetInt("n"));
            Assert.True(call.Result.IsSuccess);
            Assert.Equal(IpcErrorCode.NoHandler, missing.ErrorCode);
            Assert.Contains(broker.Recorder.Calls, c => c.EventId == "no.such" && c.Result.ErrorCode == IpcErrorCode.NoHandler);
        }
        finally
        {
            await this.WithTimeoutAsync(broker.StopMiniAppAsync("wx-kit"));
        }

        Assert.Equal(IpcErrorCode.ProcessNotRunning, (await broker.CallMiniProcessPluginAsync("wx-kit", TestEvents.Echo, null)).ErrorCode);
    }

    [Fact]
    public async Task AMainPluginAnswersCallsFromTheMiniProgram()
    {
        await using IIpcTestBroker broker = this.CreateBroker();
        broker.MainRegistry.Register(new GreetingPlugin());
        await this.OpenAsync(broker, "wx-kit-2");

        // The mini program relays to the main process (test.callMain), in memory and in a real process alike.
        IpcResult relayed = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-kit-2", TestEvents.CallMain, new Bundle().PutString("event", "kit.greet")));

        Assert.True(relayed.Data.GetBoolean("ok"), relayed.ToString());
        Assert.Equal("hello wx-kit-2", relayed.Data.GetBundle("data")!.GetString("text"));
        IpcCallRecord incoming = await broker.Recorder.WaitForCallAsync(c => c.EventId == "kit.greet", this.TimeoutToken);
        Assert.False(incoming.Outgoing);
        Assert.Equal("hello wx-kit-2", incoming.Result.Data.GetString("text"));
        await this.WithTimeoutAsync(broker.StopMiniAppAsync("wx-kit-2"));
    }

    /// <summary>Collects a broker's exit notices, and lets a test wait for one.</summary>
    protected sealed class ExitNotices
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource<MiniProcessExitedEventArgs>> signals = new();
        private readonly ConcurrentQueue<MiniProcessExitedEventArgs> seen = new();

        public ExitNotices(IIpcTestBroker broker) => broker.MiniProcessExited += (_, e) =>
        {
            this.seen.Enqueue(e);
            this.Signal(e.ProcessId).TrySetResult(e);
        };

        public IReadOnlyList<MiniProcessExitedEventArgs> Seen => [.. this.seen];

        public Task<MiniProcessExitedEventArgs> WaitForAsync(int pid, CancellationToken cancellationToken) => this.Signal(pid).Task.WaitAsync(cancellationToken);

        private TaskCompletionSource<MiniProcessExitedEventArgs> Signal(int pid) =>
            this.signals.GetOrAdd(pid, _ => new TaskCompletionSource<MiniProcessExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    [IpcMainPlugin]
    private sealed class GreetingPlugin
    {
        [IpcEvent("kit.greet")]
        public Bundle Greet(IpcRequest request) => new Bundle().PutString("text", "hello " + request.Caller.AppId);
    }
}

/// <summary>The kit's scenarios over in-memory streams, with the test mini app's two behaviours registered in this process.</summary>
public sealed class InMemoryTestingKitTests(ITestOutputHelper output) : TestingKitScenarios(output)
{
    protected override IIpcTestBroker CreateBroker(MiniAppHostOptions? options = null) => IpcTestBroker.InMemory(
        (appId, registry, main) =>
        {
            registry.AddHandler(TestEvents.Echo, r => Task.FromResult(r.Data));
            registry.AddHandler(TestEvents.Hang, (IpcRequest _) => { });
            registry.AddHandler(TestEvents.CallMain, async r =>
            {
                IpcResult result = await main.CallMainProcessPluginAsync(r.Data.GetString("event", string.Empty), r.Data.GetBundle("data"));
                return new Bundle().PutBoolean("ok", result.IsSuccess).PutBundle("data", result.Data);
            });
        },
        this.LoggerFactory,
        options: options);
}

/// <summary>The same scenarios with a real host and real test mini app processes.</summary>
public sealed class ProcessTestingKitTests(ITestOutputHelper output) : TestingKitScenarios(output), IAsyncLifetime
{
    private readonly ConcurrentBag<int> startedPids = [];

    protected override IIpcTestBroker CreateBroker(MiniAppHostOptions? options = null) => IpcTestBroker.WithProcesses(HostTestBase.TestMiniAppPath, this.LoggerFactory, options);

    protected override async Task<IpcTestMiniApp> OpenAsync(IIpcTestBroker broker, string appId)
    {
        IpcTestMiniApp mini = await base.OpenAsync(broker, appId);
        this.startedPids.Add(mini.ProcessId);
        return mini;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Whatever the broker did, every process this test started ends here, by id.</summary>
    public Task DisposeAsync() => HostTestBase.KillLeftoversAsync(this.startedPids, this.Output);
}
