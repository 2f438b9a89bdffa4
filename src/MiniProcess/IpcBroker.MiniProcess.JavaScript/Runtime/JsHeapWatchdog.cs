namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Watches the process's live managed heap: from a timer off the JavaScript thread while a run goes on, and after each
/// run. Jint's memory limit counts what one run allocates, not what stays alive across runs; this bounds the rest.
/// </summary>
/// <remarks>
/// The cheap reading (<see cref="GC.GetTotalMemory(bool)"/> without a collection) includes garbage; only when it is
/// above the bound is a full blocking collection forced and the heap read again, so garbage never counts.
/// </remarks>
internal sealed class JsHeapWatchdog : IDisposable
{
    /// <summary>How often the timer looks during a run.</summary>
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(150);

    private readonly long maxBytes;
    private readonly JsRunLimits limits;
    private readonly Timer timer;
    private int checking;

    /// <summary>Initializes a new instance of the <see cref="JsHeapWatchdog"/> class.</summary>
    /// <param name="maxBytes">The most live heap allowed.</param>
    /// <param name="limits">Told when the heap is above its bound, so that the current run fails.</param>
    public JsHeapWatchdog(long maxBytes, JsRunLimits limits)
    {
        this.maxBytes = maxBytes;
        this.limits = limits;
        this.timer = new Timer(static state => ((JsHeapWatchdog)state!).Check(), this, Period, Period);
    }

    /// <summary>Reads the heap now (after a full collection when it looks too big) and fails the runs when it is above its bound.</summary>
    /// <returns>The reason when the heap is above its bound, else null.</returns>
    public string? Check()
    {
        if (this.limits.HeapReason is { } known)
        {
            return known;
        }

        if (GC.GetTotalMemory(forceFullCollection: false) <= this.maxBytes || Interlocked.Exchange(ref this.checking, 1) != 0)
        {
            return null;
        }

        try
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            long live = GC.GetTotalMemory(forceFullCollection: false);
            if (live <= this.maxBytes)
            {
                return null;
            }

            string reason = JsStopReasons.Heap(live, this.maxBytes);
            this.limits.FailHeap(reason);
            return reason;
        }
        finally
        {
            Volatile.Write(ref this.checking, 0);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => this.timer.Dispose();
}
