namespace IpcBroker.Tests;

/// <summary>Disposing a connection releases its transport, once; disposing again is harmless.</summary>
public class ConnectionDisposalTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task DisposingClosesTheTransportAndASecondDisposeIsHarmless()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);

        await this.WithTimeoutAsync(pair.Main.DisposeAsync().AsTask());
        await this.WithTimeoutAsync(pair.Main.DisposeAsync().AsTask());

        Assert.False(pair.Main.IsConnected);
        Assert.True(pair.Main.Completion.IsCompletedSuccessfully);

        // The other end saw the transport close, and calls on either end fail at once.
        await this.WithTimeoutAsync(pair.Mini.Completion);
        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(pair.Main.CallAsync("any", null))).ErrorCode);
        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(pair.Mini.CallAsync("any", null))).ErrorCode);
    }
}
