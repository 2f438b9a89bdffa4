using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using IpcBroker.Diagnostics;
using IpcBroker.Protocol;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>Tells every <c>monitor</c> client of each call the host completes, as a <c>call</c> notification.</summary>
internal sealed class CallBroadcaster : IIpcCallObserver
{
    /// <summary>Lines a monitor may have unsent before further lines to it are dropped (a monitor that stopped reading).</summary>
    internal const int MaxUnsentLines = 1000;

    // Per monitor, the number of lines handed to StreamJsonRpc and not yet written.
    private readonly ConcurrentDictionary<JsonRpc, StrongBox<int>> subscribers = new();

    public void Subscribe(JsonRpc client)
    {
        this.subscribers[client] = new StrongBox<int>();
        client.Disconnected += (_, _) => this.subscribers.TryRemove(client, out _);
    }

    /// <summary>Gets the number of lines handed over for <paramref name="client"/> and not yet written, or -1 if it is not subscribed.</summary>
    internal int UnsentLines(JsonRpc client) => this.subscribers.TryGetValue(client, out StrongBox<int>? unsent) ? Volatile.Read(ref unsent.Value) : -1;

    public void OnCallCompleted(IpcCallRecord record)
    {
        if (this.subscribers.IsEmpty)
        {
            return;
        }

        var line = new CallLine(
            record.Started,
            record.Outgoing ? "main->mini" : "mini->main",
            record.Peer.AppId,
            record.Peer.ProcessId,
            record.EventId,
            Math.Round(record.Duration.TotalMilliseconds, 3),
            Size(record.Request),
            Size(record.Result.Data),
            record.Result.ErrorCode.ToString());
        foreach ((JsonRpc client, StrongBox<int> unsent) in this.subscribers)
        {
            // A slow or gone monitor must not hold up the call path: notifications are fire-and-forget, and a monitor
            // that stops reading loses lines rather than growing the host's memory.
            if (Interlocked.Increment(ref unsent.Value) > MaxUnsentLines)
            {
                Interlocked.Decrement(ref unsent.Value);
                continue;
            }

            _ = NotifyAsync(client, line, unsent);
        }
    }

    private static long Size(Bundle bundle)
    {
        try
        {
            return BundleCodec.Encode(bundle, BundleLimits.Default).Length;
        }
        catch (BundleLimitExceededException)
        {
            return -1;
        }
    }

    private static async Task NotifyAsync(JsonRpc client, CallLine line, StrongBox<int> unsent)
    {
        try
        {
            await client.NotifyAsync("call", line).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException or IOException)
        {
            // The monitor went away; Disconnected removes it.
        }
        finally
        {
            Interlocked.Decrement(ref unsent.Value);
        }
    }
}
