using System.Buffers.Binary;
using System.Diagnostics;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The floors, on a floor child (IpcBroker.Benchmarks.Floor, a byte echo started under the launcher like a mini process):
/// one small frame at a time, many in flight with coalesced writes, a 16 MiB frame, and a bare process's start to its
/// first answered echo and its idle memory.
/// </summary>
internal sealed class Floors(SandboxedChildLauncher launcher, int frameBytes)
{
    /// <summary>A small frame: a 4-byte length and a body the size of the small bundle's encoding.</summary>
    private readonly byte[] frame = Frame(frameBytes);

    public int FrameBytes => this.frame.Length;

    /// <summary>Starts a floor child and waits until it is admitted.</summary>
    public Task<SandboxedChild> StartChildAsync(string name) => launcher.StartAsync(name);

    /// <summary>One frame at a time: write it, read its echo.</summary>
    public Func<Task> OneAtATime(Stream socket)
    {
        byte[] reply = new byte[this.frame.Length];
        return () => RawPipeEcho.RoundTripAsync(socket, this.frame, reply);
    }

    /// <summary>
    /// The coalesced floor: <paramref name="inFlight"/> frames outstanding; each read's worth of answers is replaced by as
    /// many new frames in one write (the child echoes what one read gave it in one write), for <paramref name="window"/>.
    /// </summary>
    public async Task<(long Calls, double Seconds)> CoalescedAsync(Stream socket, int inFlight, TimeSpan window)
    {
        byte[] batch = new byte[this.frame.Length * inFlight];
        for (int i = 0; i < inFlight; i++)
        {
            this.frame.CopyTo(batch, i * this.frame.Length);
        }

        byte[] buffer = new byte[64 * 1024];
        long answered = 0, outstandingBytes = batch.Length, pendingBytes = 0;
        var clock = Stopwatch.StartNew();
        await socket.WriteAsync(batch);
        while (outstandingBytes > 0)
        {
            int read = await socket.ReadAsync(buffer);
            if (read == 0)
            {
                throw new EndOfStreamException("the floor child closed its socket");
            }

            outstandingBytes -= read;
            pendingBytes += read;
            long complete = pendingBytes / this.frame.Length;
            pendingBytes %= this.frame.Length;
            answered += complete;
            if (complete > 0 && clock.Elapsed < window)
            {
                await socket.WriteAsync(batch.AsMemory(0, (int)complete * this.frame.Length));
                outstandingBytes += complete * this.frame.Length;
            }
        }

        return (answered, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One frame of <paramref name="bytes"/> each way, written and read back at once; returns the seconds it took.</summary>
    public static async Task<double> LargeEchoAsync(Stream socket, int bytes)
    {
        byte[] large = Frame(bytes);
        byte[] back = new byte[large.Length];
        var clock = Stopwatch.StartNew();
        Task writing = socket.WriteAsync(large).AsTask();
        await socket.ReadExactlyAsync(back);
        await writing;
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The start-up floor: a bare .NET process started through the launcher until it answers its first echo (ms), and its
    /// resident memory after it has sat idle for <paramref name="idle"/> (KiB).
    /// </summary>
    public async Task<(double Milliseconds, long RssKiB)> StartToFirstEchoAsync(TimeSpan idle)
    {
        long started = Stopwatch.GetTimestamp();
        await using SandboxedChild child = await launcher.StartAsync("bench-floor-start");
        await this.OneAtATime(child.Stream)().WaitAsync(TimeSpan.FromSeconds(30));
        double milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await Task.Delay(idle);
        return (milliseconds, ProcStats.RssKiB(child.ProcessId));
    }

    private static byte[] Frame(int bodyBytes)
    {
        byte[] frame = new byte[4 + bodyBytes];
        BinaryPrimitives.WriteInt32BigEndian(frame, bodyBytes);
        return frame;
    }
}
