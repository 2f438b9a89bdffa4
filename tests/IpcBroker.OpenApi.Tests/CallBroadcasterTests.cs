using System.IO.Pipelines;
using IpcBroker.Diagnostics;
using IpcBroker.MainProcess.Cli;
using IpcBroker.Tests;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker.OpenApi.Tests;

/// <summary>The <c>monitor</c> feed: a monitor that stops reading must cost the host neither its call path nor unbounded memory.</summary>
public sealed class CallBroadcasterTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task AMonitorThatStopsReadingLosesLinesInsteadOfGrowingTheHost()
    {
        // The monitor's end is never read, and the pipe between holds only 1 KiB: writes stall almost at once.
        (Stream hostEnd, Stream monitorEnd) = FullDuplexStream.CreatePair(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        using var client = new JsonRpc(hostEnd);
        client.StartListening();
        var broadcaster = new CallBroadcaster();
        broadcaster.Subscribe(client);
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Disconnected += (_, _) => disconnected.TrySetResult(); // after the broadcaster's own handler
        var record = new IpcCallRecord(IpcSide.Main, false, new IpcCaller(IpcSide.Mini, "wx-a", MiniAppVerType.Release, 42), "EVENT", new Bundle().PutString("k", "v"), IpcResult.Success(new Bundle()), DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(1));

        for (int i = 0; i < CallBroadcaster.MaxUnsentLines * 3; i++)
        {
            broadcaster.OnCallCompleted(record); // returns at once although nothing is being written
        }

        Assert.Equal(CallBroadcaster.MaxUnsentLines, broadcaster.UnsentLines(client));

        // The monitor goes away: its unsent lines are released and it is no longer fed.
        await monitorEnd.DisposeAsync();
        client.Dispose();
        await this.WithTimeoutAsync(disconnected.Task);
        broadcaster.OnCallCompleted(record);
        Assert.Equal(-1, broadcaster.UnsentLines(client));
    }
}
