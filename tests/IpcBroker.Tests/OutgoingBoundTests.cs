using System.IO.Pipelines;
using IpcBroker.Plugins;
using Nerdbank.Streams;

namespace IpcBroker.Tests;

/// <summary>The main process never waits on a mini: what is queued for a peer that stops reading is bounded, and the peer is let go.</summary>
public class OutgoingBoundTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task APeerThatNeverReadsBoundsTheQueueFailsFurtherCallsAtOnceAndIsClosedAfterTheStallTimeout()
    {
        // A link that holds only a few bytes, like a full socket buffer: once the deaf peer has not read them, every
        // further write to it stays pending.
        (Stream mainStream, Stream deafStream) = FullDuplexStream.CreatePair(new PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32));
        var options = new IpcConnectionOptions
        {
            MaxQueuedOutgoingBytes = (3 * 1024 * 1024) + (512 * 1024),
            StalledWriteTimeout = TimeSpan.FromSeconds(1),
        };
        await using IpcConnection main = IpcConnection.Start(mainStream, new IpcEventRegistry(IpcSide.Main), ConnectionPair.MiniIdentity, options, this.LoggerFactory.CreateLogger("main"));
        await using var other = new ConnectionPair(this.LoggerFactory);
        other.MiniRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        try
        {
            // The deaf peer never reads a byte: three calls of 1 MiB fit in the bound and wait; the fourth fails at once.
            Bundle big = new Bundle().PutByteArray("blob", new byte[1024 * 1024]);
            Task<IpcResult>[] queued = Enumerable.Range(0, 3).Select(_ => main.CallAsync("mini.work", big)).ToArray();
            Task<IpcResult> refused = main.CallAsync("mini.work", big);

            Assert.True(refused.IsCompleted, "the call over the bound failed without waiting");
            IpcResult result = await refused;
            Assert.Equal(IpcErrorCode.LimitsExceeded, result.ErrorCode);
            Assert.Contains("MaxQueuedOutgoingBytes", result.ErrorMessage);
            Assert.All(queued, c => Assert.False(c.IsCompleted));

            // Another connection goes on meanwhile.
            IpcResult elsewhere = await this.WithTimeoutAsync(other.Main.CallAsync("echo", big));
            Assert.True(elsewhere.IsSuccess, elsewhere.ToString());

            // No progress for the stall timeout closes the connection; the queued calls fail with the reason, long before their 25 s.
            await this.WithTimeoutAsync(main.Completion);
            Assert.Contains("stopped reading", main.CloseReason);
            foreach (Task<IpcResult> call in queued)
            {
                IpcResult failed = await this.WithTimeoutAsync(call);
                Assert.Equal(IpcErrorCode.PeerDisconnected, failed.ErrorCode);
                Assert.Contains("stopped reading", failed.ErrorMessage);
            }

            await this.WaitForLogAsync(r => r.EventId == 1022);
            Assert.True(other.Main.IsConnected);
        }
        finally
        {
            await deafStream.DisposeAsync();
        }
    }

    [Fact]
    public async Task LargeAnswersStayChargedUntilThePeerTakesThem()
    {
        // Found in review: an answer on a payload channel was charged only while handed over, so a peer that asks for
        // large answers and never takes them made the host hold them all, uncharged, until each call's deadline.
        var options = new IpcConnectionOptions { MaxQueuedOutgoingBytes = (2 * 1024 * 1024) + (512 * 1024), StalledWriteTimeout = TimeSpan.FromMinutes(1) };
        await using var raw = new RawPeer(this.LoggerFactory, options);
        raw.MainRegistry.AddHandler("big", _ => Task.FromResult(new Bundle().PutByteArray("blob", new byte[1024 * 1024])));
        raw.Rpc.StartListening();

        // The peer reads each reply message but never accepts the channel it names.
        var statuses = new List<int>();
        for (int i = 0; i < 3; i++)
        {
            object?[] reply = await this.WithTimeoutAsync(raw.Rpc.InvokeWithCancellationAsync<object?[]>(IpcConnection.CallMethod, ["big", 20_000, null, 0UL], this.TimeoutToken));
            statuses.Add(Convert.ToInt32(reply[0], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal([0, 0, (int)IpcErrorCode.LimitsExceeded], statuses);
        Assert.True(raw.Main.IsConnected);
    }

    [Fact]
    public async Task AReaderThatKeepsUpIsNeverCutOffAndTheQueueEmptiesAsCallsEnd()
    {
        var options = new IpcConnectionOptions { MaxQueuedOutgoingBytes = 2 * 1024 * 1024, StalledWriteTimeout = TimeSpan.FromSeconds(5) };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: options);
        pair.MiniRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        Bundle big = new Bundle().PutByteArray("blob", new byte[1024 * 1024]);

        // Sequential calls: each one's charge is refunded when it ends, so the bound of two never fills.
        for (int i = 0; i < 6; i++)
        {
            IpcResult result = await this.WithTimeoutAsync(pair.Main.CallAsync("echo", big));
            Assert.True(result.IsSuccess, result.ToString());
        }

        Assert.True(pair.Main.IsConnected);
    }
}
