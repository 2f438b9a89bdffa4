namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Watches the process's live managed heap: from a timer off the JavaScript thread while a run goes on, and after each
/// run. Jint's memory limit counts what one run allocates, not what stays alive across runs; this bounds the rest.
/// </summary>
/// <remarks>
/// The cheap reading (<see cref="GC.GetTotalMemory(bool)"/> without a collection) includes garbage; only when it is
/// above the bound is a full blocking collection forced and the heap read again, so garbage never counts. The timer
/// runs from the launch until <see cref="Stop"/> (the mini program's end): a heap above its bound would otherwise cost a
/// full compacting collection on every tick for the rest of the process.
/// </remarks>
internal sealed class JsHeapWatchdog : IDisposable
{
    /// <summary>How often the timer looks during a run.</summary>
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(150);

    private readonly long maxBytes;
    private readonly JsRunLimits limits;
    private readonly Timer timer;
    private int checking;
    private int timerChecks;
    private volatile bool stopped;

    /// <summary>Initializes a new instance of the <see cref="JsHeapWatchdog"/> class.</summary>
    /// <param name="maxBytes">The most live heap allowed.</param>
    /// <param name="limits">Told when the heap is above its bound, so that the current run fails.</param>
    public JsHeapWatchdog(long maxBytes, JsRunLimits limits)
        : this(maxBytes, limits, Period)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="JsHeapWatchdog"/> class with another timer period (tests).</summary>
    /// <param name="maxBytes">The most live heap allowed.</param>
    /// <param name="limits">Told when the heap is above its bound, so that the current run fails.</param>
    /// <param name="period">How often the timer looks.</param>
    internal JsHeapWatchdog(long maxBytes, JsRunLimits limits, TimeSpan period)
    {
        this.maxBytes = maxBytes;
        this.limits = limits;
        this.timer = new Timer(static state => ((JsHeapWatchdog)state!).OnTick(), this, period, period);
    }

    /// <summary>Gets how many checks the timer made (tests).</summary>
    internal int TimerChecks => Volatile.Read(ref this.timerChecks);

    /// <summary>Gets a value indicating whether the timer was stopped.</summary>
    internal bool IsStopped => this.stopped;

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

    /// <summary>Stops the timer for good (the mini program ended); <see cref="Check"/> still works when called.</summary>
    /// <remarks>A tick already queued when the timer is disposed sees the flag and does nothing.</remarks>
    public void Stop()
    {
        this.stopped = true;
        this.timer.Dispose();
    }

    /// <inheritdoc/>
    public void Dispose() => this.Stop();

    private void OnTick()
    {
        if (this.stopped)
        {
            return;
        }

        Interlocked.Increment(ref this.timerChecks);
        this.Check();
    }
}
