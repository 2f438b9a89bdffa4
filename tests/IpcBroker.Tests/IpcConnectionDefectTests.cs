
namespace IpcBroker.Tests;

/// <summary>Defects found in review of the call paths: each test failed before its fix.</summary>
public class IpcConnectionDefectTests(ITestOutputHelper output) : TestBase(output)
{
    /// <summary>A deadline far beyond the test's own timeout: an outcome that arrives at all arrived early.</summary>
    private static readonly TimeSpan LongDeadline = TimeSpan.FromSeconds(59);

    [Fact]
    public async Task AThrowingClosingCallbackDoesNotSkipTeardown()
    {
        // Not 'await using': before the fix DisposeAsync never returned, and the test must fail, not hang.
        var pair = new ConnectionPair(this.LoggerFactory);
        try
        {
            pair.Main.ClosingToken.Register(() => throw new InvalidOperationException("a careless callback"));

            pair.Main.Close(IpcErrorCode.PeerDisconnected, "closed by the test");

            await this.WithTimeoutAsync(pair.Main.Completion);
            Assert.False(pair.Main.IsConnected);
            Assert.Equal("closed by the test", pair.Main.CloseReason);
        }
        finally
        {
            await this.WithTimeoutAsync(pair.DisposeAsync().AsTask());
        }
    }

    [Fact]
    public async Task AMalformedReplyIsBadRequestAtOnceNotATimeoutAtTheDeadline()
    {
        await using var raw = new RawPeer(this.LoggerFactory);
        raw.Rpc.AddLocalRpcMethod(IpcConnection.CallMethod, new Func<string, int, byte[]?, ulong, object[]>((_, _, _, _) => ["not a status", 1]));
        raw.Rpc.StartListening();

        IpcResult result = await this.WithTimeoutAsync(raw.Main.CallAsync("some.event", null, new IpcCallOptions { Timeout = LongDeadline }));

        Assert.Equal(IpcErrorCode.BadRequest, result.ErrorCode);
        Assert.Contains("some.event", result.ErrorMessage);
    }

    [Fact]
    public async Task AReplyWithWrongElementTypesIsBadRequestAtOnce()
    {
        await using var raw = new RawPeer(this.LoggerFactory);
        raw.Rpc.AddLocalRpcMethod(IpcConnection.CallMethod, new Func<string, int, byte[]?, ulong, object[]>((_, _, _, _) => ["zero", 5, "not bytes", -1]));
        raw.Rpc.StartListening();

        IpcResult result = await this.WithTimeoutAsync(raw.Main.CallAsync("some.event", null, new IpcCallOptions { Timeout = LongDeadline }));

        Assert.Equal(IpcErrorCode.BadRequest, result.ErrorCode);
    }

    [Fact]
    public async Task AnUnsolicitedRequestCanceledIsAnErrorAtOnceNotATimeout()
    {
        await using var raw = new RawPeer(this.LoggerFactory);
        raw.Rpc.AddLocalRpcMethod(IpcConnection.CallMethod, new Func<string, int, byte[]?, ulong, Task<object>>((_, _, _, _) => Task.FromCanceled<object>(new CancellationToken(true))));
        raw.Rpc.StartListening();

        IpcResult result = await this.WithTimeoutAsync(raw.Main.CallAsync("some.event", null, new IpcCallOptions { Timeout = LongDeadline }));

        Assert.Equal(IpcErrorCode.BadRequest, result.ErrorCode);
        Assert.Contains("canceled", result.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.True(raw.Main.IsConnected);
    }

    [Fact]
    public async Task ACanceledAnswerThisSideDidNotAskForIsPeerDisconnected()
    {
        // What a handling side that is closing answers (its own connection cancelled the handler): the caller cancelled
        // nothing, so for it the other side went away.
        await using var raw = new RawPeer(this.LoggerFactory);
        raw.Rpc.AddLocalRpcMethod(IpcConnection.CallMethod, new Func<string, int, byte[]?, ulong, object?[]>((_, _, _, _) => [(int)IpcErrorCode.Canceled, "The call was canceled.", null, 0UL]));
        raw.Rpc.StartListening();

        IpcResult result = await this.WithTimeoutAsync(raw.Main.CallAsync("some.event", null, new IpcCallOptions { Timeout = LongDeadline }));

        Assert.Equal(IpcErrorCode.PeerDisconnected, result.ErrorCode);
        Assert.Contains("some.event", result.ErrorMessage);
    }
}
