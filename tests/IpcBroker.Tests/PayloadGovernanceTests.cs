using IpcBroker.Plugins;
using MessagePack;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker.Tests;

/// <summary>What payload channels may cost the receiver: budgets charged as bytes arrive, and bursts that are not floods.</summary>
[Collection(nameof(PayloadGovernanceTests))]
[CollectionDefinition(nameof(PayloadGovernanceTests), DisableParallelization = true)] // measures allocations process-wide
public class PayloadGovernanceTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task ChannelsThatSendNothingCostNoBuffer()
    {
        const int Calls = 400;
        (Stream mainStream, Stream rogueStream) = FullDuplexStream.CreatePair();
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.AddHandler("echo", r => Task.FromResult(r.Data));
        await using IpcConnection main = IpcConnection.Start(mainStream, registry, ConnectionPair.MiniIdentity, new IpcConnectionOptions { MaxConcurrentIncomingCalls = Calls }, this.LoggerFactory.CreateLogger("main"));
        await using MultiplexingStream rogue = MultiplexingStream.Create(rogueStream, new MultiplexingStream.Options
        {
            ProtocolMajorVersion = 3,
            SeededChannels = { new MultiplexingStream.ChannelOptions { ChannelReceivingWindowSize = IpcConnection.ChannelZeroReceiveWindow } },
        });
        var formatter = new MessagePackFormatter();
        using var rpc = new JsonRpc(new LengthHeaderMessageHandler(rogue.AcceptChannel(0), formatter));
        rpc.StartListening();
        var channels = new List<MultiplexingStream.Channel>();
        long before = GC.GetTotalAllocatedBytes(precise: true);

        // Each call names a channel that never sends a byte: the host waits on all of them at once.
        var calls = new List<Task>();
        for (int i = 0; i < Calls; i++)
        {
            MultiplexingStream.Channel channel = rogue.CreateChannel();
            channels.Add(channel);
            calls.Add(rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, ["echo", 15000, null, channel.QualifiedId.Id], this.TimeoutToken));
        }

        while (main.Payloads.Receiving < Calls)
        {
            Assert.True(main.IsConnected, main.CloseReason);
            await Task.Delay(20, this.TimeoutToken); // polling a counter the host exposes, not waiting for time to pass
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        this.Output.WriteLine($"{Calls} calls waiting on empty channels allocated {allocated / 1024} KiB in all ({allocated / Calls} bytes each)");
        Assert.Equal(0, main.Payloads.BytesHeld);

        // Before: 128 KiB reserved per call (an ArrayBufferWriter of twice the inline limit) on top of ~26 KiB of the
        // call's and the channel's bookkeeping (both ends of this test counted). Now: the bookkeeping only.
        Assert.True(allocated < Calls * 64L * 1024, $"{allocated / Calls} bytes per call");
        foreach (MultiplexingStream.Channel channel in channels)
        {
            channel.Dispose();
        }
    }

    [Fact]
    public async Task ANamedChannelLeftHangingCutsThePeerOff()
    {
        (Stream mainStream, Stream rogueStream) = FullDuplexStream.CreatePair();
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.AddHandler("echo", r => Task.FromResult(r.Data));
        var options = new IpcConnectionOptions { PayloadChannelIdleTimeout = TimeSpan.FromMilliseconds(300) };
        await using IpcConnection main = IpcConnection.Start(mainStream, registry, ConnectionPair.MiniIdentity, options, this.LoggerFactory.CreateLogger("main"));
        await using MultiplexingStream rogue = MultiplexingStream.Create(rogueStream, new MultiplexingStream.Options
        {
            ProtocolMajorVersion = 3,
            SeededChannels = { new MultiplexingStream.ChannelOptions { ChannelReceivingWindowSize = IpcConnection.ChannelZeroReceiveWindow } },
        });
        using var rpc = new JsonRpc(new LengthHeaderMessageHandler(rogue.AcceptChannel(0), new MessagePackFormatter()));
        rpc.StartListening();

        // A call names a channel, which sends a few bytes and then neither more nor its end, for a long deadline.
        MultiplexingStream.Channel channel = rogue.CreateChannel();
        Task<object> call = rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, ["echo", 50_000, null, channel.QualifiedId.Id], this.TimeoutToken);
        await channel.Output.WriteAsync(new byte[] { 0x81, 0xa1 }, this.TimeoutToken);

        await this.WithTimeoutAsync(main.Completion);
        Assert.Equal(ProtocolViolation.PayloadChannelStalled, main.Violation);
        Assert.Equal(0, main.Payloads.BytesHeld);
        channel.Dispose();
    }

    [Fact]
    public async Task PayloadsOverTheConnectionsBudgetAreRefusedAndTheConnectionStays()
    {
        var tight = new IpcConnectionOptions { MaxIncomingPayloadBytes = 512 * 1024 };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: tight);
        pair.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));

        IpcResult refused = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[1024 * 1024])));
        IpcResult fits = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[300 * 1024])));

        Assert.Equal(IpcErrorCode.LimitsExceeded, refused.ErrorCode);
        Assert.Contains(nameof(IpcConnectionOptions.MaxIncomingPayloadBytes), refused.ErrorMessage);
        Assert.True(fits.IsSuccess, fits.ErrorMessage);
        Assert.True(pair.Main.IsConnected);
        Assert.Equal(0, pair.Main.Payloads.BytesHeld);
    }

    [Fact]
    public async Task PayloadsOverTheSharedBudgetAreRefusedAndItIsReleased()
    {
        var shared = new PayloadBudget(512 * 1024);
        var options = new IpcConnectionOptions { SharedPayloadBudget = shared };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: options);
        pair.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));

        IpcResult refused = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[1024 * 1024])));
        IpcResult fits = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutByteArray("blob", new byte[300 * 1024])));

        Assert.Equal(IpcErrorCode.LimitsExceeded, refused.ErrorCode);
        Assert.Contains(nameof(IpcConnectionOptions.SharedPayloadBudget), refused.ErrorMessage);
        Assert.True(fits.IsSuccess, fits.ErrorMessage);
        Assert.Equal(0, shared.Used);
        Assert.True(pair.Main.IsConnected);
    }

    [Fact]
    public async Task TwoHundredConcurrentLargeCallsSomeCancelledAllCompleteAndTheConnectionStays()
    {
        // A short age limit: an offer left behind by a call cancelled before it was sent would cut the connection.
        var options = new IpcConnectionOptions { UnclaimedChannelTimeout = TimeSpan.FromSeconds(1) };
        await using var pair = new ConnectionPair(this.LoggerFactory, options, options);
        pair.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        byte[] blob = new byte[100 * 1024];
        new Random(3).NextBytes(blob);
        Bundle big = new Bundle().PutByteArray("blob", blob);

        var cancels = new List<CancellationTokenSource>();
        var calls = new List<(Task<IpcResult> Call, bool Cancelled)>();
        for (int i = 0; i < 200; i++)
        {
            var cancel = new CancellationTokenSource();
            cancels.Add(cancel);
            calls.Add((pair.Mini.CallAsync("echo", big, new IpcCallOptions { CancellationToken = cancel.Token, Timeout = UnexpectedTimeout }), i % 5 == 4));
        }

        // Cancelled while many are still queued to be written on channel 0.
        foreach ((CancellationTokenSource cancel, int i) in cancels.Select((c, i) => (c, i)))
        {
            if (calls[i].Cancelled)
            {
                cancel.Cancel();
            }
        }

        IpcResult[] results = await this.WithTimeoutAsync(Task.WhenAll(calls.Select(c => c.Call)));
        for (int i = 0; i < results.Length; i++)
        {
            Assert.True(results[i].IsSuccess || (calls[i].Cancelled && results[i].ErrorCode == IpcErrorCode.Canceled), $"call {i}: {results[i]}");
            if (results[i].IsSuccess)
            {
                Assert.Equal(big, results[i].Data);
            }
        }

        // Past the age limit, withdrawn offers are forgotten and nothing is cut off.
        while (pair.Main.Payloads.Unclaimed > 0)
        {
            Assert.True(pair.Main.IsConnected, pair.Main.CloseReason);
            await Task.Delay(50, this.TimeoutToken); // polling a counter the host exposes
        }

        Assert.True(pair.Main.IsConnected, pair.Main.CloseReason);
        Assert.True(pair.Mini.IsConnected, pair.Mini.CloseReason);
        Assert.True((await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", big))).IsSuccess);
        Assert.Equal(0, pair.Main.Payloads.BytesHeld);
        foreach (CancellationTokenSource cancel in cancels)
        {
            cancel.Dispose();
        }
    }
}
