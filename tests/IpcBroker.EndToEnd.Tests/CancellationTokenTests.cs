using IpcBroker.MainProcess.Hosting;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The CancellationToken convention across real processes: a token passed last cancels a call in flight on each side, a
/// token cancelled before the call fails it at once, and cancelling a stop or a logout stops only the wait.
/// </summary>
public class CancellationTokenTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task TheHostsTokenCancelsACallInFlightAndTheConnectionGoesOn()
    {
        this.StartHost();
        await this.OpenAsync("wx-ct-main");
        using var cts = new CancellationTokenSource();

        Task<IpcResult> call = this.Host.CallMiniProcessPluginAsync("wx-ct-main", TestEvents.Hang, null, cancellationToken: cts.Token);
        await AssertStillPendingAsync(call);
        cts.Cancel();

        Assert.Equal(IpcErrorCode.Canceled, (await this.WithTimeoutAsync(call)).ErrorCode);
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-main", MiniAppVerType.Release, TestEvents.Count, null, null, this.TimeoutToken))).IsSuccess);
    }

    [Fact]
    public async Task TheHostsTokenCancelledBeforeTheCallFailsItAtOnceWithoutSendingIt()
    {
        this.StartHost();
        await this.OpenAsync("wx-ct-early");

        Task<IpcResult> call = this.Host.CallMiniProcessPluginAsync("wx-ct-early", TestEvents.Count, null, cancellationToken: new CancellationToken(canceled: true));

        Assert.True(call.IsCompleted);
        Assert.Equal(IpcErrorCode.Canceled, (await call).ErrorCode);

        // The mini program never saw it: the next call is the first it counts.
        IpcResult next = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-early", TestEvents.Count, null));
        Assert.Equal(1, next.Data.GetInt("count"));
    }

    [Fact]
    public async Task TheMiniProcessesTokenCancelsACallInFlight()
    {
        var started = new TaskCompletionSource();
        var handlerCanceled = new TaskCompletionSource();
        this.MainRegistry.AddHandler("main.wait", (IpcRequest r) =>
        {
            r.CancellationToken.Register(() => handlerCanceled.TrySetResult());
            started.TrySetResult();
        });
        this.StartHost();
        await this.OpenAsync("wx-ct-mini");

        Task<IpcResult> relay = this.Host.CallMiniProcessPluginAsync("wx-ct-mini", TestEvents.CallMain, new Bundle().PutString("event", "main.wait").PutString("token", "held"));
        await this.WithTimeoutAsync(started.Task);
        await AssertStillPendingAsync(relay);
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-mini", TestEvents.CancelHeldCall, null))).IsSuccess);

        IpcResult outcome = await this.WithTimeoutAsync(relay);
        Assert.True(outcome.IsSuccess, outcome.ToString());
        Assert.Equal((int)IpcErrorCode.Canceled, outcome.Data.GetInt("errCode"));
        await this.WithTimeoutAsync(handlerCanceled.Task);
    }

    [Fact]
    public async Task TheMiniProcessesTokenCancelledBeforeTheCallFailsItWithoutSendingIt()
    {
        int handled = 0;
        this.MainRegistry.AddHandler("main.count", r =>
        {
            Interlocked.Increment(ref handled);
            return Task.FromResult(new Bundle());
        });
        this.StartHost();
        await this.OpenAsync("wx-ct-mini-early");

        IpcResult outcome = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-mini-early", TestEvents.CallMain, new Bundle().PutString("event", "main.count").PutString("token", "canceled")));
        IpcResult after = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-mini-early", TestEvents.CallMain, new Bundle().PutString("event", "main.count")));

        Assert.Equal((int)IpcErrorCode.Canceled, outcome.Data.GetInt("errCode"));
        Assert.True(after.Data.GetBoolean("ok"), after.ToString());
        Assert.Equal(1, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task CancellingAStopMidwayStopsTheWaitAndTheStopStillEndsTheProcess()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, ShutdownTimeout = TimeSpan.FromSeconds(5) });
        MiniAppInfo stubborn = await this.OpenAsync("wx-ct-stop");
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-stop", TestEvents.IgnoreShutdown, null));
        using var cts = new CancellationTokenSource();

        // The process ignores the shutdown message, so the stop waits out ShutdownTimeout before it kills.
        Task<bool> stop = this.Host.StopMiniAppAsync("wx-ct-stop", null, cts.Token);
        await AssertStillPendingAsync(stop);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(stop));
        Assert.Empty(this.Host.RunningMiniApps);
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(stubborn.ProcessId);
        Assert.Equal(((int?)9, true), (exit.Signal, exit.StoppedByHost));
    }

    [Fact]
    public async Task AStopOrLogoutWithATokenAlreadyCancelledIsStillDone()
    {
        this.StartHost();
        this.Host.SignIn("alice");
        MiniAppInfo first = await this.OpenAsync("wx-ct-a");
        MiniAppInfo second = await this.OpenAsync("wx-ct-b");
        var canceled = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(this.Host.StopMiniAppAsync("wx-ct-a", null, canceled)));
        Assert.Equal(0, (await this.WaitForExitNoticeAsync(first.ProcessId)).ExitCode);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(this.Host.LogoutAsync(canceled)));
        Assert.Equal(IpcErrorCode.ProcessNotRunning, (await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-ct-b", TestEvents.Count, null))).ErrorCode);
        Assert.Equal(0, (await this.WaitForExitNoticeAsync(second.ProcessId)).ExitCode);
        Assert.Null(this.Host.UserId);
    }
}
