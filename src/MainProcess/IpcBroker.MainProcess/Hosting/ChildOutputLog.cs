using System.Diagnostics;
using IpcBroker.MiniPrograms;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Logs one mini process's output lines (standard output and error together) under their own category, at most
/// <c>limit</c> lines per window; the excess is counted and logged as one line when the next window begins or the output ends.
/// </summary>
/// <remarks>
/// <para>Thread-safe: the two streams' readers write concurrently. The windows are fixed, starting at the first line after the last one ended.</para>
/// <para>Two kinds of standard output line are the mini program's own word (<see cref="MiniProgramOutputLine"/>): a console
/// line is logged under <see cref="MiniProgramCategory"/> at the level its console method maps to, whatever level the
/// child output category is enabled at (the same budget counts it); an exit reason is kept as <see cref="ExitReason"/>
/// (the last one wins, cut at <see cref="MiniProgramOutputLine.MaxTextLength"/>) and logged at Debug like other output.</para>
/// </remarks>
internal sealed class ChildOutputLog(ILogger logger, ILogger miniProgramLogger, Func<MiniAppKey> key, int limit, TimeSpan window)
{
    /// <summary>The log category of what mini programs write through <c>console</c>.</summary>
    public const string MiniProgramCategory = "IpcBroker.MiniProgram";

    private readonly object gate = new();
    private readonly long windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
    private long windowStart = long.MinValue;
    private int loggedInWindow;
    private long dropped;
    private string? exitReason;

    /// <summary>Gets the pid the lines are logged with; set once the process has started.</summary>
    public int ProcessId { get; set; }

    /// <summary>Gets the last exit reason the process wrote on its standard output, or null.</summary>
    public string? ExitReason => Volatile.Read(ref this.exitReason);

    /// <summary>Logs <paramref name="line"/> if the window has room, else counts it.</summary>
    /// <param name="stream">"stdout" or "stderr".</param>
    /// <param name="line">The line, already cut to its cap (and its control characters made visible).</param>
    public void Write(string stream, string line)
    {
        LogLevel? consoleLevel = null;
        string consoleText = string.Empty;
        if (stream == "stdout")
        {
            if (MiniProgramOutputLine.TryParseConsole(line, out string level, out string text))
            {
                consoleLevel = LevelOf(level);
                consoleText = text;
            }
            else if (MiniProgramOutputLine.TryParseExitReason(line, out string reason))
            {
                Volatile.Write(ref this.exitReason, reason.Length <= MiniProgramOutputLine.MaxTextLength ? reason : reason[..MiniProgramOutputLine.MaxTextLength] + "…");
            }
        }

        if (consoleLevel is { } wanted ? !miniProgramLogger.IsEnabled(wanted) : !logger.IsEnabled(LogLevel.Debug))
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

        if (!log)
        {
            return;
        }

        if (consoleLevel is { } consoleAt)
        {
            HostLog.MiniProgramConsole(miniProgramLogger, consoleAt, key().AppId, this.ProcessId, consoleText);
        }
        else
        {
            HostLog.ChildOutput(logger, key(), this.ProcessId, stream, line);
        }
    }

    /// <summary>The log level of a console method: log and info Information, warn Warning, error Error, debug Debug; any other Information.</summary>
    internal static LogLevel LevelOf(string consoleMethod) => consoleMethod switch
    {
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "debug" => LogLevel.Debug,
        _ => LogLevel.Information,
    };

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
