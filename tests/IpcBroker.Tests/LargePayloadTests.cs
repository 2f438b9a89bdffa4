using IpcBroker.Plugins;
using Nerdbank.Streams;

namespace IpcBroker.Tests;

/// <summary>Bundles above the inline limit travel on channels of their own.</summary>
public class LargePayloadTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task LargeBundlesRoundTripBothWays()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MiniRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        byte[] blob = new byte[6 * 1024 * 1024];
        new Random(7).NextBytes(blob);
        Bundle big = new Bundle().PutByteArray("blob", blob).PutString("tag", "big");

        IpcResult result = await this.WithTimeoutAsync(pair.Main.CallAsync("echo", big));

        Assert.True(result.IsSuccess, result.ErrorMessage);
        Assert.Equal(big, result.Data);
    }

    [Fact]
    public async Task ALargeTransferDoesNotHoldUpSmallCalls()
    {
        (Stream a, Stream b) = FullDuplexStream.CreatePair();
        var mainRegistry = new IpcEventRegistry(IpcSide.Main);
        var miniRegistry = new IpcEventRegistry(IpcSide.Mini);
        miniRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        await using IpcConnection main = IpcConnection.Start(new SlowLinkStream(a), mainRegistry, ConnectionPair.MiniIdentity, null, this.LoggerFactory.CreateLogger("main"));
        await using IpcConnection mini = IpcConnection.Start(b, miniRegistry, ConnectionPair.MainIdentity, null, this.LoggerFactory.CreateLogger("mini"));

        Task<IpcResult> large = main.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[8 * 1024 * 1024]));
        for (int i = 0; i < 5; i++)
        {
            IpcResult small = await this.WithTimeoutAsync(main.CallAsync("echo", new Bundle().PutInt("i", i)));
            Assert.Equal(i, small.Data.GetInt("i"));
        }

        Assert.False(large.IsCompleted, "the small calls were answered while the large transfer was still under way");
        IpcResult done = await this.WithTimeoutAsync(large);
        Assert.True(done.IsSuccess, done.ErrorMessage);
        Assert.Equal(8 * 1024 * 1024, done.Data.GetByteArray("blob")!.Length);
    }

    [Fact]
    public async Task TheReceiverCapsWhatArrivesOnAChannel()
    {
        var tight = new IpcConnectionOptions { Limits = new BundleLimits { MaxBytes = 256 * 1024 } };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: tight);
        pair.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[1024 * 1024])));

        Assert.Equal(IpcErrorCode.LimitsExceeded, result.ErrorCode);
        Assert.Contains("MaxBytes", result.ErrorMessage);
        Assert.True((await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[100 * 1024])))).IsSuccess);
    }

    [Fact]
    public async Task APeerThatPilesUpUnclaimedChannelsIsCutOff()
    {
        (Stream a, Stream b) = FullDuplexStream.CreatePair();
        var options = new IpcConnectionOptions { MaxUnclaimedChannels = 4 };
        await using IpcConnection main = IpcConnection.Start(a, new IpcEventRegistry(IpcSide.Main), ConnectionPair.MiniIdentity, options, this.LoggerFactory.CreateLogger("main"));
        await using MultiplexingStream rogue = MultiplexingStream.Create(b, new MultiplexingStream.Options { ProtocolMajorVersion = 3, SeededChannels = { new MultiplexingStream.ChannelOptions() } });

        for (int i = 0; i < 5; i++)
        {
            rogue.CreateChannel();
        }

        await this.WithTimeoutAsync(main.Completion);
        Assert.Contains("payload channels", main.CloseReason);
        Assert.Equal(ProtocolViolation.TooManyUnclaimedChannels, main.Violation);
        await this.WaitForLogAsync(r => r.EventId == 1007);
    }
}
