namespace IpcBroker.Tests;

public class PendingCallTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task TheDeadlineSetsTimeout()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var call = new PendingCall(pair.Mini, "e", TimeSpan.FromMilliseconds(1), default, default);

        IpcResult result = await this.WithTimeoutAsync(call.Task);

        Assert.Equal(IpcErrorCode.Timeout, result.ErrorCode);
        Assert.True(call.Token.IsCancellationRequested);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EitherCallerTokenSetsCanceledAndCancelsTheToken(bool optionsToken)
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var caller = new CancellationTokenSource();
        using var call = optionsToken
            ? new PendingCall(pair.Mini, "e", TimeSpan.FromMinutes(5), caller.Token, default)
            : new PendingCall(pair.Mini, "e", TimeSpan.FromMinutes(5), default, caller.Token);

        await caller.CancelAsync();
        IpcResult result = await this.WithTimeoutAsync(call.Task);

        Assert.Equal(IpcErrorCode.Canceled, result.ErrorCode);
        Assert.True(call.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task TheConnectionClosingSetsItsReason()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var call = new PendingCall(pair.Mini, "e", TimeSpan.FromMinutes(5), default, default);

        pair.Mini.Close(IpcErrorCode.Denied, "policy");
        IpcResult result = await this.WithTimeoutAsync(call.Task);

        Assert.Equal(IpcErrorCode.Denied, result.ErrorCode);
        Assert.Contains("policy", result.ErrorMessage);
    }

    [Fact]
    public async Task TheFirstOutcomeWinsAndALaterDeadlineChangesNothing()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var caller = new CancellationTokenSource();
        using var call = new PendingCall(pair.Mini, "e", TimeSpan.FromMinutes(5), default, caller.Token);

        Assert.True(call.TrySetResult(IpcResult.Success(new Bundle().PutInt("n", 1))));
        await caller.CancelAsync();

        IpcResult result = await this.WithTimeoutAsync(call.Task);
        Assert.True(result.IsSuccess);
        Assert.Equal(1, result.Data.GetInt("n"));
    }

    [Fact]
    public async Task OnceDisposedTheCallersTokenNoLongerReachesIt()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var caller = new CancellationTokenSource();
        var call = new PendingCall(pair.Mini, "e", TimeSpan.FromMinutes(5), default, caller.Token);
        CancellationToken token = call.Token;

        call.Dispose();
        await caller.CancelAsync();

        // A disposed call's registrations are gone: the caller's token (which outlives many calls) does not reach it.
        Assert.False(call.Task.IsCompleted);
        Assert.False(token.IsCancellationRequested);
    }
}
