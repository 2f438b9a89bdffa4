using System.Diagnostics;
using IpcBroker.MainProcess.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Counts the control connections refused for their peer and logs them, at most <see cref="PerSecond"/> a second; the
/// rest are counted and reported in one summary line with the next second's first warning.
/// </summary>
/// <remarks>A process inside a mini program's tree can connect as fast as it can: without a limit it would fill the host's
/// log. Thread-safety: all members may be called from any thread.</remarks>
/// <param name="logger">Where the warnings go.</param>
internal sealed class ControlRefusalLog(ILogger logger)
{
    /// <summary>How many refusals a second are logged one by one.</summary>
    public const int PerSecond = 5;

    private readonly object gate = new();
    private long windowStart = Stopwatch.GetTimestamp();
    private int written;
    private int suppressed;
    private long count;

    /// <summary>Gets how many peers have been refused so far.</summary>
    public long Count => Interlocked.Read(ref this.count);

    /// <summary>Counts a refused peer and logs it unless this second's allowance is spent.</summary>
    /// <param name="pid">The peer's pid, as the kernel reported it.</param>
    /// <param name="reason">Why it was refused.</param>
    public void Refused(int pid, string reason)
    {
        Interlocked.Increment(ref this.count);
        int summary;
        lock (this.gate)
        {
            long now = Stopwatch.GetTimestamp();
            summary = 0;
            if (Stopwatch.GetElapsedTime(this.windowStart, now) >= TimeSpan.FromSeconds(1))
            {
                summary = this.suppressed;
                this.suppressed = 0;
                this.written = 0;
                this.windowStart = now;
            }

            if (this.written >= PerSecond)
            {
                this.suppressed++;
                return;
            }

            this.written++;
        }

        if (summary > 0)
        {
            HostLog.ControlPeersRefusedUnlogged(logger, summary);
        }

        HostLog.ControlPeerRefused(logger, pid, reason);
    }
}
