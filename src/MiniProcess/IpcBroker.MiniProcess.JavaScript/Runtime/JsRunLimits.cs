using System.Diagnostics;
using Jint;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// A Jint constraint bounding each run of the event loop (a posted work item or a timer, with the Promise jobs that
/// follow it) in time, and failing the run once the heap watchdog has seen the live heap above its bound.
/// </summary>
/// <remarks>
/// Jint resets its constraints at every entry into the engine (<c>Execute</c>, <c>Invoke</c>, <c>Call</c>), and the
/// run of a timer or a Promise job may enter it several times: the deadline here is the event loop's, set by
/// <see cref="BeginRun"/>, and <see cref="Reset"/> leaves it alone. Both checks only read state that moves one way
/// (a clock, a flag), so Jint may check them every few statements.
/// </remarks>
internal sealed class JsRunLimits : Constraint
{
    private readonly long timeoutTicks;
    private readonly string timeoutReason;
    private long deadline = long.MaxValue;
    private volatile string? heapReason;

    /// <summary>Initializes a new instance of the <see cref="JsRunLimits"/> class.</summary>
    /// <param name="taskTimeout">How long one run may take.</param>
    public JsRunLimits(TimeSpan taskTimeout)
    {
        this.timeoutTicks = (long)Math.Min(long.MaxValue / 2, taskTimeout.TotalSeconds * Stopwatch.Frequency);
        this.timeoutReason = JsStopReasons.WithoutYielding(taskTimeout);
    }

    /// <summary>Gets the reason the heap watchdog gave, or null.</summary>
    public string? HeapReason => this.heapReason;

    /// <inheritdoc/>
    public override bool IsAmortizable => true;

    /// <summary>Starts a run: its deadline is now plus the task timeout.</summary>
    public void BeginRun() => Volatile.Write(ref this.deadline, Stopwatch.GetTimestamp() + this.timeoutTicks);

    /// <summary>Ends a run.</summary>
    public void EndRun() => Volatile.Write(ref this.deadline, long.MaxValue);

    /// <summary>Fails the current run and every later one: the live heap is above its bound.</summary>
    /// <param name="reason">The reason.</param>
    public void FailHeap(string reason) => this.heapReason ??= reason;

    /// <inheritdoc/>
    public override void Check()
    {
        if (this.heapReason is { } heap)
        {
            throw new JsRunawayException(heap);
        }

        if (Stopwatch.GetTimestamp() > Volatile.Read(ref this.deadline))
        {
            throw new JsRunawayException(this.timeoutReason);
        }
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        // The deadline belongs to the event loop's run, not to Jint's entry (see the remarks).
    }
}
