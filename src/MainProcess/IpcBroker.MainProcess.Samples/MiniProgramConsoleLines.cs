using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Demo;

/// <summary>
/// A logger provider that puts what mini programs written in JavaScript log (the host's <see cref="Category"/>) into the
/// demo's transcript, and lets the demo wait for a line.
/// </summary>
/// <remarks>Thread-safe: the host logs from the readers of each mini process's output.</remarks>
/// <param name="transcript">Where the lines go.</param>
internal sealed class MiniProgramConsoleLines(DemoTranscript transcript) : ILoggerProvider
{
    /// <summary>The host's log category of mini programs' console lines.</summary>
    public const string Category = "IpcBroker.MiniProgram";

    private readonly object gate = new();
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource Seen)> waiters = [];
    private readonly List<string> lines = [];

    /// <summary>Waits until a line that <paramref name="predicate"/> accepts has been logged (also one logged before); the predicate runs under the lock.</summary>
    /// <param name="predicate">The line's test.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>True when the line came in time.</returns>
    public Task<bool> WaitForAsync(Func<string, bool> predicate, TimeSpan timeout) => this.WaitForAsync(0, predicate, timeout);

    /// <summary>Waits until a line that <paramref name="predicate"/> accepts has been logged after the first <paramref name="count"/> lines.</summary>
    /// <param name="count">The lines logged before (see <see cref="Count"/>); earlier lines do not count.</param>
    /// <param name="predicate">The line's test; it runs under the lock.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>True when the line came in time.</returns>
    public Task<bool> WaitForAfterAsync(int count, Func<string, bool> predicate, TimeSpan timeout) => this.WaitForAsync(count, predicate, timeout);

    private async Task<bool> WaitForAsync(int from, Func<string, bool> predicate, TimeSpan timeout)
    {
        TaskCompletionSource seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.gate)
        {
            if (this.lines.Skip(from).Any(predicate))
            {
                return true;
            }

            this.waiters.Add((predicate, seen));
        }

        try
        {
            await seen.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            lock (this.gate)
            {
                this.waiters.RemoveAll(w => w.Seen == seen);
            }
        }
    }

    /// <summary>Gets how many lines have been logged.</summary>
    public int Count
    {
        get
        {
            lock (this.gate)
            {
                return this.lines.Count;
            }
        }
    }

    /// <summary>Waits until more than <paramref name="count"/> lines have been logged.</summary>
    /// <param name="count">The lines logged before.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <returns>True when a line came in time.</returns>
    public Task<bool> WaitForMoreThanAsync(int count, TimeSpan timeout) => this.WaitForAsync(_ => this.lines.Count > count, timeout);

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => categoryName == Category ? new Lines(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private void Add(LogLevel level, string line)
    {
        transcript.Line($"js       {(level == LogLevel.Information ? string.Empty : level.ToString().ToLowerInvariant() + ": ")}{line}");
        List<TaskCompletionSource> satisfied;
        lock (this.gate)
        {
            this.lines.Add(line);
            satisfied = [.. this.waiters.Where(w => w.Predicate(line)).Select(w => w.Seen)];
        }

        foreach (TaskCompletionSource seen in satisfied)
        {
            seen.TrySetResult();
        }
    }

    private sealed class Lines(MiniProgramConsoleLines owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(logLevel, formatter(state, exception));
    }
}
