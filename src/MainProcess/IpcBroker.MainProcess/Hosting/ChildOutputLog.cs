using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Logs one mini process's output lines (standard output and error together) under their own category, at most
/// <c>limit</c> lines per window; the excess is counted and logged as one line when the next window begins or the output ends.
/// </summary>
/// <remarks>Thread-safe: the two streams' readers write concurrently. The windows are fixed, starting at the first line after the last one ended.</remarks>
internal sealed class ChildOutputLog(ILogger logger, Func<MiniAppKey> key, int limit, TimeSpan window)
{
    private readonly object gate = new();
    private readonly long windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    private long windowStart = long.MinValue;
    private int loggedInWindow;
    private long dropped;

    /// <summary>Gets the pid the lines are logged with; set once the process has started.</summary>
    public int ProcessId { get; set; }

    /// <summary>Logs <paramref name="line"/> if the window has room, else counts it.</summary>
    /// <param name="stream">"stdout" or "stderr".</param>
    /// <param name="line">The line, already cut to its cap.</param>
    public void Write(string stream, string line)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        long droppedBefore = 0;
        bool log;
        lock (this.gate)
        {
            long now = Stopwatch.GetTimestamp();
            if (this.windowStart == long.MinValue || now - this.windowStart >= this.windowTicks)
            {
                droppedBefore = this.dropped;
                this.dropped = 0;
                this.loggedInWindow = 0;
                this.windowStart = now;
            }

            log = this.loggedInWindow < limit;
            if (log)
            {
                this.loggedInWindow++;
            }
            else
            {
                this.dropped++;
            }
        }

        if (droppedBefore > 0)
        {
            this.LogDropped(droppedBefore);
        }

        if (log)
        {
            HostLog.ChildOutput(logger, key(), this.ProcessId, stream, line);
        }
    }

    /// <summary>Logs the count of lines dropped in the last window, once both streams have ended.</summary>
    public void Complete()
    {
        long droppedNow;
        lock (this.gate)
        {
            droppedNow = this.dropped;
            this.dropped = 0;
        }

        if (droppedNow > 0)
        {
            this.LogDropped(droppedNow);
        }
    }

    private void LogDropped(long count) => HostLog.ChildOutputDropped(logger, key(), this.ProcessId, count, limit, (long)window.TotalMilliseconds);
}
