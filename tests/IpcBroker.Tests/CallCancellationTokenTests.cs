using IpcBroker.Plugins;

namespace IpcBroker.Tests;

/// <summary>The CancellationToken convention on <see cref="IpcConnection.CallAsync"/>: a token passed last cancels, as the options' token does.</summary>
public class CallCancellationTokenTests(ITestOutputHelper output) : TestBase(output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ATokenPassedLastCancelsACallInFlightOnEitherSide(bool miniCalls)
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        var handlerStarted = new TaskCompletionSource();
        var handlerCanceled = new TaskCompletionSource();
        (miniCalls ? pair.MainRegistry : pair.MiniRegistry).AddHandler("wait", (IpcRequest r) =>
        {
            r.CancellationToken.Register(() => handlerCanceled.TrySetResult());
            handlerStarted.SetResult();
        });
        IpcConnection caller = miniCalls ? pair.Mini : pair.Main;
        using var cts = new CancellationTokenSource();

        Task<IpcResult> call = caller.CallAsync("wait", null, cancellationToken: cts.Token);
        await this.WithTimeoutAsync(handlerStarted.Task);
        await AssertStillPendingAsync(call);
        cts.Cancel();

        IpcResult result = await this.WithTimeoutAsync(call);
        Assert.Equal(IpcErrorCode.Canceled, result.ErrorCode);
        await this.WithTimeoutAsync(handlerCanceled.Task);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EitherTokenCancelsWhenBothAreGiven(bool cancelTheParameter)
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        var handlerStarted = new TaskCompletionSource();
        pair.MainRegistry.AddHandler("wait", (IpcRequest r) => handlerStarted.SetResult());
        using var inOptions = new CancellationTokenSource();
        using var asParameter = new CancellationTokenSource();

        Task<IpcResult> call = pair.Mini.CallAsync("wait", null, new IpcCallOptions { CancellationToken = inOptions.Token }, asParameter.Token);
        await this.WithTimeoutAsync(handlerStarted.Task);
        await AssertStillPendingAsync(call);
        (cancelTheParameter ? asParameter : inOptions).Cancel();

        Assert.Equal(IpcErrorCode.Canceled, (await this.WithTimeoutAsync(call)).ErrorCode);
    }

    [Fact]
    public async Task ATokenCancelledBeforeTheCallFailsItAtOnceWithoutSendingIt()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        int handled = 0;
        pair.MainRegistry.AddHandler("count", r =>
        {
            Interlocked.Increment(ref handled);
            return Task.FromResult(new Bundle());
        });

        Task<IpcResult> call = pair.Mini.CallAsync("count", null, cancellationToken: new CancellationToken(canceled: true));

        Assert.True(call.IsCompleted);
        Assert.Equal(IpcErrorCode.Canceled, (await call).ErrorCode);

        // A later call on the same connection is the first the handler sees.
        Assert.True((await this.WithTimeoutAsync(pair.Mini.CallAsync("count", null))).IsSuccess);
        Assert.Equal(1, Volatile.Read(ref handled));
    }
}
