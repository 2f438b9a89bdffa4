using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using MessagePack;
using Nerdbank.Streams;

namespace IpcBroker.HostileMini;

/// <summary>The attacks, one per process. Each logs what it did; after it, the process waits to be cut off.</summary>
internal static class Attacks
{
    /// <summary>The attacks this process knows.</summary>
    public static readonly string[] Names =
    [
        "flood", "stop-reading", "trickle", "unnamed-offers", "named-never-completed",
        "garbage", "unknown-result", "unknown-method", "wrong-params", "huge-array-frame",
        "bundle-deep", "bundle-keys", "bundle-huge-array", "bundle-bad-utf8", "bundle-ext",
        "stdout-spew", "escape", "hello-version", "exit-reason",
    ];

    /// <summary>
    /// Waits for the go call (except for stop-reading and escape), runs <paramref name="attack"/>, then waits to be cut off.
    /// </summary>
    public static async Task RunAsync(string attack, int count, HostileConnection c, Sessions.MiniLaunchInfo launch)
    {
        if (attack == "stop-reading")
        {
            // The bare socket is never read again: the host's writes fill the kernel's buffer and then block.
            Program.Say("stop-reading: connected and never reading the socket again");
            return;
        }

        if (attack == "escape")
        {
            // At once after the handshake: the test has everything in place before it opens this mini program.
            await new EscapeAttack(c, launch).RunAsync().ConfigureAwait(false);
            return;
        }

        await c.WaitForGoAsync().ConfigureAwait(false);
        long started = Stopwatch.GetTimestamp();
        Program.Say($"go: {attack}");
        switch (attack)
        {
            case "flood":
                await FloodAsync(c, count > 0 ? count : 200_000, started).ConfigureAwait(false);
                break;
            case "trickle":
                _ = c.ReadForeverAsync(m => Program.Say($"got {m}"));
                await TrickleAsync(c, count > 0 ? count : 512 * 1024, started).ConfigureAwait(false);
                break;
            case "unnamed-offers":
                _ = c.ReadForeverAsync(m => Program.Say($"got {m}"));
                UnnamedOffers(c, count > 0 ? count : 10_000);
                break;
            case "named-never-completed":
                var answered = new System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource>();
                _ = c.ReadForeverAsync(m => answered.GetOrAdd(m.Id, _ => new()).TrySetResult());
                await NamedNeverCompletedAsync(c, count > 0 ? count : 10_000, id => answered.GetOrAdd(id, _ => new()).Task).ConfigureAwait(false);
                break;
            case "garbage" or "unknown-result" or "unknown-method" or "wrong-params" or "huge-array-frame":
                _ = c.ReadForeverAsync(m => Program.Say($"got {m}"));
                await c.SendAsync(Violation(attack, c.NextId())).ConfigureAwait(false);
                Program.Say($"{attack}: sent");
                break;
            case "exit-reason":
                // What a mini program written in JavaScript does when it is stopped for a runaway: console lines, then
                // its exit reason, then exit code 4 (MiniProcessRuntime.ExitMiniProgramFailed). Also a line that only
                // looks like a console line, and an escape in the reason, which the host must make visible.
                Console.Out.WriteLine(IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatConsole("info", "exit-reason: about to go"));
                Console.Out.WriteLine(IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatConsole("warn", "a warning\nwith a second line"));
                Console.Out.WriteLine(IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatConsole("error", "an error"));
                Console.Out.WriteLine(IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatExitReason("JavaScript stopped: an earlier reason"));
                Console.Out.WriteLine(IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatExitReason("JavaScript stopped: ran 1000 ms without yielding \u001b[31m" + new string('x', 5000)));
                Console.Out.Flush();
                Program.Say("exit-reason: exiting with code 4");
                Environment.Exit(4);
                break;
            case "stdout-spew":
                _ = c.ReadForeverAsync(m => Program.Say($"got {m}"));
                await SpewAsync(count > 0 ? count : 1024 * 1024 * 1024).ConfigureAwait(false);
                break;
            default:
                await HostileBundleAsync(c, attack, count).ConfigureAwait(false);
                break;
        }

        await c.WaitForCutOffAsync(started).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="calls"/> small calls as fast as it can and never reads an answer.</summary>
    private static async Task FloodAsync(HostileConnection c, int calls, long started)
    {
        byte[] payload = HostileBundles.Small();
        int sent = 0;
        try
        {
            // Batches of frames per flush: as fast as a client can write, without a round trip per call.
            while (sent < calls)
            {
                for (int i = 0; i < 64 && sent < calls; i++, sent++)
                {
                    c.Output.Write((ReadOnlySpan<byte>)RpcFrames.Call(c.NextId(), FaultEvents.Echo, 60_000, payload, 0));
                }

                FlushResult flushed = await c.Output.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }

                if (sent % 10_000 < 64)
                {
                    Program.Say($"flood: {sent} calls sent in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
                }
            }
        }
        catch (Exception ex)
        {
            Program.Say($"flood: writing failed after {sent} calls: {ex.GetType().Name}: {ex.Message}");
        }

        Program.Say($"flood: sent {sent} calls in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms, read no answer");
    }

    /// <summary>Declares a frame of <paramref name="length"/> bytes and sends its body one byte a second.</summary>
    private static async Task TrickleAsync(HostileConnection c, int length, long started)
    {
        int sent = 0;
        try
        {
            await c.SendAsync(RpcFrames.FrameWithLength(length, [])).ConfigureAwait(false);
            Program.Say($"trickle: declared a frame of {length} bytes; sending one byte a second");
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (sent < length && !c.Multiplexor!.Completion.IsCompleted && await timer.WaitForNextTickAsync().ConfigureAwait(false))
            {
                await c.SendAsync([0xc0]).ConfigureAwait(false);
                sent++;
            }
        }
        catch (Exception ex)
        {
            Program.Say($"trickle: writing failed: {ex.GetType().Name}: {ex.Message}");
        }

        Program.Say($"trickle: sent {sent} of {length} body bytes in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
    }

    /// <summary>Offers <paramref name="channels"/> channels and never names one.</summary>
    private static void UnnamedOffers(HostileConnection c, int channels)
    {
        int offered = 0;
        try
        {
            for (; offered < channels; offered++)
            {
                // Each CreateChannel sends an Offer frame at once; none is ever named in a message.
                _ = c.Multiplexor!.CreateChannel();
            }
        }
        catch (Exception ex)
        {
            Program.Say($"unnamed-offers: offering failed: {ex.GetType().Name}: {ex.Message}");
        }

        Program.Say($"unnamed-offers: offered {offered} channels, named none");
    }

    /// <summary>Makes <paramref name="calls"/> calls, each naming a channel of its own that gets 1 byte and is never completed.</summary>
    /// <remarks>
    /// Every 32 channels it waits for the answer to a plain call sent after them, so that the host has read the calls
    /// that name them: what is measured is the host's limit on named, unfinished payloads, not its cap on unnamed offers.
    /// </remarks>
    private static async Task NamedNeverCompletedAsync(HostileConnection c, int calls, Func<long, Task> answered)
    {
        int named = 0;
        var channels = new List<MultiplexingStream.Channel>();
        try
        {
            for (; named < calls; named++)
            {
                MultiplexingStream.Channel channel = c.Multiplexor!.CreateChannel();
                channels.Add(channel);
                await c.SendAsync(RpcFrames.Call(c.NextId(), FaultEvents.Echo, int.MaxValue, default, channel.QualifiedId.Id)).ConfigureAwait(false);
                await channel.Output.WriteAsync(new byte[] { 0x81 }).ConfigureAwait(false);
                if (named % 32 == 31)
                {
                    long barrier = c.NextId();
                    await c.SendAsync(RpcFrames.Call(barrier, FaultEvents.Echo, 30_000, HostileBundles.Small(), 0)).ConfigureAwait(false);
                    await answered(barrier).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            Program.Say($"named-never-completed: failed after {named}: {ex.GetType().Name}: {ex.Message}");
        }

        Program.Say($"named-never-completed: named {named} channels in calls, wrote 1 byte on each, completed none");
    }

    /// <summary>One protocol violation, framed.</summary>
    private static byte[] Violation(string attack, long id) => attack switch
    {
        // 0xc1 is the one byte MessagePack never uses.
        "garbage" => RpcFrames.Frame(Enumerable.Repeat((byte)0xc1, 64).ToArray()),
        "unknown-result" => RpcFrames.Result(MessagePackSerializer.Serialize(id + 1_000_000)),
        "unknown-method" => RpcFrames.Request(id, "no.such.method", (ref MessagePackWriter w, ReadOnlySpan<byte> _) => w.WriteArrayHeader(0)),
        "wrong-params" => RpcFrames.Request(id, "ipc.call", (ref MessagePackWriter w, ReadOnlySpan<byte> _) =>
        {
            w.WriteArrayHeader(4);
            w.Write(42);
            w.Write("sixty seconds");
            w.Write(true);
            w.Write("channel");
        }),

        // A 20-byte frame whose top-level array claims 4,294,967,295 elements.
        "huge-array-frame" => RpcFrames.Frame([0xdd, 0xff, 0xff, 0xff, 0xff, .. new byte[15]]),
        _ => throw new ArgumentException(attack),
    };

    /// <summary>An otherwise valid call carrying a hostile bundle, then a valid one: both answers are reported.</summary>
    private static async Task HostileBundleAsync(HostileConnection c, string attack, int count)
    {
        byte[] bundle = HostileBundles.For(attack, count) ?? throw new ArgumentException(attack);
        var replies = new System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource<RpcFrames.Message>>();
        _ = c.ReadForeverAsync(m =>
        {
            Program.Say($"got {m}");
            replies.GetOrAdd(m.Id, _ => new TaskCompletionSource<RpcFrames.Message>()).TrySetResult(m);
        });

        long hostileId = c.NextId();
        if (bundle.Length <= 64 * 1024)
        {
            await c.SendAsync(RpcFrames.Call(hostileId, FaultEvents.Echo, 30_000, bundle, 0)).ConfigureAwait(false);
        }
        else
        {
            // Too large to go inline (section 6): on a channel of its own, named in the call, then completed.
            MultiplexingStream.Channel channel = c.Multiplexor!.CreateChannel();
            await c.SendAsync(RpcFrames.Call(hostileId, FaultEvents.Echo, 30_000, default, channel.QualifiedId.Id)).ConfigureAwait(false);
            await channel.Output.WriteAsync(bundle).ConfigureAwait(false);
            await channel.Output.CompleteAsync().ConfigureAwait(false);
        }

        Program.Say($"{attack}: sent a {bundle.Length}-byte bundle in call {hostileId}");
        RpcFrames.Message reply = await replies.GetOrAdd(hostileId, _ => new()).Task.ConfigureAwait(false);
        Program.Say($"REPLY {attack} status {reply.Status}{(reply.IsError ? " (JSON-RPC error)" : string.Empty)}: {reply.Text}");

        long pingId = c.NextId();
        await c.SendAsync(RpcFrames.Call(pingId, FaultEvents.Echo, 30_000, HostileBundles.Small(), 0)).ConfigureAwait(false);
        RpcFrames.Message pong = await replies.GetOrAdd(pingId, _ => new()).Task.ConfigureAwait(false);
        Program.Say($"REPLY follow-up status {pong.Status}: {pong.Text}");
    }

    /// <summary>Writes <paramref name="bytes"/> bytes to standard output without a newline.</summary>
    private static async Task SpewAsync(long bytes)
    {
        byte[] chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        long written = 0;
        long started = Stopwatch.GetTimestamp();
        await using Stream stdout = Console.OpenStandardOutput();
        try
        {
            while (written < bytes)
            {
                int n = (int)Math.Min(chunk.Length, bytes - written);
                await stdout.WriteAsync(chunk.AsMemory(0, n)).ConfigureAwait(false);
                written += n;
                if (written % (64 * 1024 * 1024) == 0)
                {
                    Program.Say($"stdout-spew: {written >> 20} MiB written");
                }
            }

            await stdout.FlushAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            Program.Say($"stdout-spew: writing failed: {ex.Message}");
        }

        Program.Say($"SPEW done: {written} bytes without a newline in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
    }
}
