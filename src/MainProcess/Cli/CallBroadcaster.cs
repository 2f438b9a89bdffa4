using System.Collections.Concurrent;
using IpcBroker.Diagnostics;
using IpcBroker.Protocol;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>Tells every <c>monitor</c> client of each call the host completes, as a <c>call</c> notification.</summary>
internal sealed class CallBroadcaster : IIpcCallObserver
{
    private readonly ConcurrentDictionary<JsonRpc, byte> subscribers = new();

    public void Subscribe(JsonRpc client)
    {
        this.subscribers[client] = 0;
        client.Disconnected += (_, _) => this.subscribers.TryRemove(client, out _);
    }

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
        foreach (JsonRpc client in this.subscribers.Keys)
        {
            // A slow or gone monitor must not hold up the call path: notifications are fire-and-forget.
            _ = NotifyAsync(client, line);
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

    private static async Task NotifyAsync(JsonRpc client, CallLine line)
    {
        try
        {
            await client.NotifyAsync("call", line).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException or IOException)
        {
            // The monitor went away; Disconnected removes it.
        }
    }
}
