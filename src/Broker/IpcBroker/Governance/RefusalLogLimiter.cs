using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace IpcBroker.Governance;

/// <summary>
/// Rate-limits the warnings a peer can cause (refused and denied incoming calls): at most a fixed number per second, then the
/// rest are counted and reported in one summary line when the next second's first warning is written, or when the
/// connection closes.
/// </summary>
/// <remarks>A hostile peer can send refusals as fast as it can write; without a limit it would fill the host's log and
/// spend its disk. Thread-safety: all members may be called from any thread.</remarks>
internal sealed class RefusalLogLimiter
{
    private readonly ILogger logger;
    private readonly int perSecond;
    private readonly object gate = new();
    private long windowStart = Stopwatch.GetTimestamp();
    private int written;
    private int suppressed;

    /// <summary>Initializes a new instance of the <see cref="RefusalLogLimiter"/> class.</summary>
    /// <param name="logger">Where the warnings go.</param>
    /// <param name="perSecond">How many warnings a second are written; at least 1.</param>
    public RefusalLogLimiter(ILogger logger, int perSecond)
    {
        this.logger = logger;
        this.perSecond = Math.Max(1, perSecond);
    }

    /// <summary>Writes <see cref="IpcLog.IncomingRefused"/> unless this second's allowance is spent.</summary>
    /// <param name="eventId">The event name, already replaced by <c>unknown</c> unless registered.</param>
    /// <param name="reason">Why the call was refused; text of this side's making.</param>
    public void IncomingRefused(string eventId, string reason)
    {
        if (this.TryWrite(out int summary))
        {
            if (summary > 0)
            {
                IpcLog.RefusalsSuppressed(this.logger, summary);
            }

            IpcLog.IncomingRefused(this.logger, eventId, reason);
        }
    }

    /// <summary>Writes <see cref="IpcLog.CallDenied"/> unless this second's allowance is spent.</summary>
    /// <param name="eventId">The event name, already replaced by <c>unknown</c> unless registered.</param>
    /// <param name="peer">Who called, as the connection knows it.</param>
    /// <param name="reason">Why the call was refused; text of this side's making.</param>
    public void CallDenied(string eventId, string peer, string reason)
    {
        if (this.TryWrite(out int summary))
        {
            if (summary > 0)
            {
                IpcLog.RefusalsSuppressed(this.logger, summary);
            }

            IpcLog.CallDenied(this.logger, eventId, peer, reason);
        }
    }

    /// <summary>Writes the summary of warnings not yet reported, if any (the connection is closing).</summary>
    public void Flush()
    {
        int summary;
        lock (this.gate)
        {
            summary = this.suppressed;
            this.suppressed = 0;
        }

        if (summary > 0)
        {
            IpcLog.RefusalsSuppressed(this.logger, summary);
        }
    }

    private bool TryWrite(out int summary)
    {
        lock (this.gate)
        {
            summary = 0;
            long now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(this.windowStart, now) >= TimeSpan.FromSeconds(1))
            {
                summary = this.suppressed;
                this.suppressed = 0;
                this.written = 0;
                this.windowStart = now;
            }

            if (this.written < this.perSecond)
            {
                this.written++;
                return true;
            }

            this.suppressed++;
            return false;
        }
    }
}
