namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// The mini program's JavaScript thread and its event loop: a dedicated background thread with a large stack that runs,
/// one at a time, the work posted to it (in order) and the timers that fall due, each through a run function that applies
/// the limits and runs the engine's Promise jobs after it.
/// </summary>
/// <remarks>
/// Posted work and due timers take turns, so neither can starve the other. The timers are touched on this thread only
/// (JavaScript sets and clears them); posted work arrives from any thread. The loop ends when <see cref="End"/> is
/// called or a run reports the mini program dead; what is queued then is dropped, and <see cref="Post"/> returns false.
/// </remarks>
internal sealed class JsEventLoop : IJsThread
{
    private readonly object gate = new();
    private readonly Queue<Action> work = new();
    private readonly JsTimerQueue timers;
    private readonly Func<Action, bool> run;
    private readonly Thread thread;
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool ended;
    private bool timerTurn;

    /// <summary>Initializes a new instance of the <see cref="JsEventLoop"/> class and starts its thread.</summary>
    /// <param name="stackSizeBytes">The thread's stack size.</param>
    /// <param name="maxTimers">The most timers pending at once.</param>
    /// <param name="run">Runs one work item or timer; returns false when the mini program must end (a runaway).</param>
    public JsEventLoop(int stackSizeBytes, int maxTimers, Func<Action, bool> run)
    {
        this.timers = new JsTimerQueue(maxTimers);
        this.run = run;
        this.thread = new Thread(this.Loop, stackSizeBytes) { IsBackground = true, Name = "IpcBroker JavaScript" };
        this.thread.Start();
    }

    /// <inheritdoc/>
    public bool IsCurrent => Thread.CurrentThread == this.thread;

    /// <summary>Gets a task that completes when the loop has ended and its thread runs no more JavaScript.</summary>
    public Task Completion => this.completion.Task;

    /// <summary>Gets a value indicating whether the loop has ended (or is ending).</summary>
    public bool HasEnded
    {
        get
        {
            lock (this.gate)
            {
                return this.ended;
            }
        }
    }

    /// <inheritdoc/>
    public bool Post(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (this.gate)
        {
            if (this.ended)
            {
                return false;
            }

            this.work.Enqueue(work);
            Monitor.Pulse(this.gate);
            return true;
        }
    }

    /// <summary>Adds a timer; call on the JavaScript thread.</summary>
    /// <param name="delayMs">The delay in milliseconds.</param>
    /// <param name="intervalMs">The repeat interval, or null for one run.</param>
    /// <param name="callback">What a run of the timer does.</param>
    /// <returns>The timer's id, or 0 when too many are pending.</returns>
    public int SetTimer(long delayMs, long? intervalMs, Action callback)
    {
        this.AssertCurrent();
        lock (this.gate)
        {
            return this.timers.Add(Environment.TickCount64, Math.Max(0, delayMs), intervalMs is { } i ? Math.Max(1, i) : null, callback);
        }
    }

    /// <summary>Removes a timer; call on the JavaScript thread.</summary>
    /// <param name="id">The timer's id; an unknown one is ignored.</param>
    public void ClearTimer(int id)
    {
        this.AssertCurrent();
        lock (this.gate)
        {
            this.timers.Remove(id);
        }
    }

    /// <summary>Ends the loop: nothing more runs after the current run, and <see cref="Post"/> returns false from now on.</summary>
    public void End()
    {
        lock (this.gate)
        {
            this.ended = true;
            this.work.Clear();
            this.timers.Clear();
            Monitor.Pulse(this.gate);
        }
    }

    private void AssertCurrent()
    {
        if (!this.IsCurrent)
        {
            throw new InvalidOperationException("Timers are set and cleared on the JavaScript thread only.");
        }
    }

    private void Loop()
    {
        try
        {
            while (this.TakeNext() is { } next)
            {
                if (!this.run(next))
                {
                    this.End();
                }
            }
        }
        finally
        {
            this.End();
            this.completion.TrySetResult();
        }
    }

    /// <summary>Waits for the next work item or due timer, taking turns between them; null once the loop has ended.</summary>
    private Action? TakeNext()
    {
        lock (this.gate)
        {
            while (!this.ended)
            {
                long now = Environment.TickCount64;
                this.timerTurn = !this.timerTurn;
                if (this.timerTurn && this.timers.TryTakeDue(now, out Action timer))
                {
                    return timer;
                }

                if (this.work.TryDequeue(out Action? posted))
                {
                    return posted;
                }

                if (this.timers.TryTakeDue(now, out timer))
                {
                    return timer;
                }

                Monitor.Wait(this.gate, this.timers.MillisecondsToNext(now));
            }

            return null;
        }
    }
}
