using System.Diagnostics;
using System.Runtime.CompilerServices;
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
/// <para>It also bounds the native stack a run may use to a quarter of the thread's: Jint's recursion limit counts the
/// calls of each function apart (a cycle of k functions goes k times as deep), and the exception that ends a too-deep run
/// is rethrown level by level as it unwinds, which costs stack of its own; three quarters are left for that.</para>
/// </remarks>
internal sealed class JsRunLimits : Constraint
{
    private readonly long timeoutTicks;
    private readonly string timeoutReason;
    private readonly long stackBudget;
    private readonly string stackReason;
    private long deadline = long.MaxValue;
    private nint stackBase;
    private volatile string? heapReason;

    /// <summary>Initializes a new instance of the <see cref="JsRunLimits"/> class.</summary>
    /// <param name="taskTimeout">How long one run may take.</param>
    /// <param name="stackSizeBytes">The JavaScript thread's stack size.</param>
    public JsRunLimits(TimeSpan taskTimeout, int stackSizeBytes)
    {
        this.stackBudget = stackSizeBytes / 4;
        this.stackReason = JsStopReasons.StackBudget(this.stackBudget);
        this.timeoutTicks = (long)Math.Min(long.MaxValue / 2, taskTimeout.TotalSeconds * Stopwatch.Frequency);
        this.timeoutReason = JsStopReasons.WithoutYielding(taskTimeout);
    }

    /// <summary>Gets the reason the heap watchdog gave, or null.</summary>
    public string? HeapReason => this.heapReason;

    /// <inheritdoc/>
    public override bool IsAmortizable => true;

    /// <summary>Starts a run, on the JavaScript thread: its deadline is now plus the task timeout, its stack is measured from here.</summary>
    public void BeginRun()
    {
        this.stackBase = StackAddress();
        Volatile.Write(ref this.deadline, Stopwatch.GetTimestamp() + this.timeoutTicks);
    }

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

        // Jint checks constraints on the engine's thread only; the stack grows down.
        if (this.stackBase != 0 && this.stackBase - StackAddress() > this.stackBudget)
        {
            throw new JsRunawayException(this.stackReason);
        }
    }

    /// <summary>The address of the caller's stack frame, near enough: a local's address, read without unsafe code.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nint StackAddress()
    {
        byte local = 0;
        return Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref local);
    }

    /// <inheritdoc/>
    public override void Reset()
    {
        // The deadline belongs to the event loop's run, not to Jint's entry (see the remarks).
    }
}
