using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace IpcBroker.Tests;

/// <summary>
/// Base of every test: timeouts instead of sleeps, a per-test <see cref="TimeoutToken"/> that bounds every await, and
/// logging to the test output with every record kept for assertions.
/// </summary>
public abstract class TestBase : IDisposable
{
    /// <summary>How long to wait when asserting that something does NOT happen.</summary>
    protected static readonly TimeSpan ExpectedTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>How long to wait for something that should happen; infinite under a debugger.</summary>
    protected static readonly TimeSpan UnexpectedTimeout = Debugger.IsAttached ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource timeoutSource = new(UnexpectedTimeout);

    protected TestBase(ITestOutputHelper output)
    {
        this.Output = output;
        this.Logs = new TestLoggerProvider(output);
        this.LoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(this.Logs));
    }

    protected ITestOutputHelper Output { get; }

    /// <summary>Gets a token that fires when the test has run for <see cref="UnexpectedTimeout"/>.</summary>
    protected CancellationToken TimeoutToken => this.timeoutSource.Token;

    /// <summary>Gets every log record written through <see cref="LoggerFactory"/>.</summary>
    protected TestLoggerProvider Logs { get; }

    protected ILoggerFactory LoggerFactory { get; }

    /// <summary>Awaits <paramref name="task"/>, failing the test if it does not complete before <see cref="TimeoutToken"/> fires.</summary>
    protected async Task<T> WithTimeoutAsync<T>(Task<T> task) => await task.WaitAsync(this.TimeoutToken);

    /// <inheritdoc cref="WithTimeoutAsync{T}(Task{T})"/>
    protected async Task WithTimeoutAsync(Task task) => await task.WaitAsync(this.TimeoutToken);

    /// <summary>Asserts that <paramref name="task"/> is still pending after <see cref="ExpectedTimeout"/>.</summary>
    protected static async Task AssertStillPendingAsync(Task task)
    {
        Task winner = await Task.WhenAny(task, Task.Delay(ExpectedTimeout));
        Assert.NotSame(task, winner);
    }

    /// <summary>
    /// Gives this test <paramref name="budget"/> from now instead of <see cref="UnexpectedTimeout"/>: for a test that starts
    /// many processes, which on a loaded 2-core machine (a busy loop per core beside the suite) takes far longer than on an
    /// idle one. Call it first in the test; it moves <see cref="TimeoutToken"/>'s deadline (no effect under a debugger).
    /// </summary>
    protected void ExtendTimeout(TimeSpan budget)
    {
        if (UnexpectedTimeout != Timeout.InfiniteTimeSpan)
        {
            // CancelAfter reschedules the source's one timer; the token's holders need not change.
            this.timeoutSource.CancelAfter(budget);
        }
    }

    /// <summary>Waits until a log record matching <paramref name="predicate"/> has been written.</summary>
    protected Task<TestLogRecord> WaitForLogAsync(Func<TestLogRecord, bool> predicate) => this.WithTimeoutAsync(this.Logs.WaitForAsync(predicate));

    public virtual void Dispose()
    {
        this.timeoutSource.Dispose();
        this.LoggerFactory.Dispose();
        GC.SuppressFinalize(this);
    }
}
