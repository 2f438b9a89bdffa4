namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// The pending timers of the mini program (<c>setTimeout</c>, <c>setInterval</c>), in due order; touched on the
/// JavaScript thread only.
/// </summary>
internal sealed class JsTimerQueue
{
    private readonly SortedSet<Entry> due = new(Comparer<Entry>.Create(static (a, b) => a.DueTicks != b.DueTicks ? a.DueTicks.CompareTo(b.DueTicks) : a.Sequence.CompareTo(b.Sequence)));
    private readonly Dictionary<int, Entry> byId = [];
    private readonly int maxTimers;
    private int nextId;
    private long nextSequence;

    /// <summary>Initializes a new instance of the <see cref="JsTimerQueue"/> class.</summary>
    /// <param name="maxTimers">The most timers pending at once.</param>
    public JsTimerQueue(int maxTimers) => this.maxTimers = maxTimers;

    /// <summary>Gets how many timers are pending.</summary>
    public int Count => this.byId.Count;

    /// <summary>Adds a timer.</summary>
    /// <param name="nowTicks">The current time (<see cref="Environment.TickCount64"/>).</param>
    /// <param name="delayMs">The delay in milliseconds (0 or more).</param>
    /// <param name="intervalMs">The repeat interval in milliseconds (1 or more), or null for a single run.</param>
    /// <param name="callback">What a run of the timer does.</param>
    /// <returns>The timer's id (positive), or 0 when <c>maxTimers</c> are pending already.</returns>
    public int Add(long nowTicks, long delayMs, long? intervalMs, Action callback)
    {
        if (this.byId.Count >= this.maxTimers)
        {
            return 0;
        }

        // Past int.MaxValue the ids wrap around: skip those still pending (fewer than maxTimers, so this ends).
        int id;
        do
        {
            id = this.nextId = this.nextId == int.MaxValue ? 1 : this.nextId + 1;
        }
        while (this.byId.ContainsKey(id));

        var entry = new Entry(id, nowTicks + delayMs, this.nextSequence++, intervalMs, callback);
        this.byId[id] = entry;
        this.due.Add(entry);
        return id;
    }

    /// <summary>Removes a timer; an unknown id is ignored.</summary>
    /// <param name="id">The timer's id.</param>
    public void Remove(int id)
    {
        if (this.byId.Remove(id, out Entry? entry))
        {
            this.due.Remove(entry);
        }
    }

    /// <summary>Takes the first timer that is due: a single-run timer leaves the queue, an interval is due again one interval later.</summary>
    /// <param name="nowTicks">The current time.</param>
    /// <param name="callback">Its callback.</param>
    /// <returns>True when one was due.</returns>
    public bool TryTakeDue(long nowTicks, out Action callback)
    {
        callback = null!;
        if (this.due.Count == 0 || this.due.Min!.DueTicks > nowTicks)
        {
            return false;
        }

        Entry entry = this.due.Min!;
        this.due.Remove(entry);
        callback = entry.Callback;
        if (entry.IntervalMs is { } interval)
        {
            Entry again = entry with { DueTicks = nowTicks + interval, Sequence = this.nextSequence++ };
            this.byId[entry.Id] = again;
            this.due.Add(again);
        }
        else
        {
            this.byId.Remove(entry.Id);
        }

        return true;
    }

    /// <summary>Gets how long until the first timer is due.</summary>
    /// <param name="nowTicks">The current time.</param>
    /// <returns>Milliseconds (0 when one is due), or <see cref="Timeout.Infinite"/> when none is pending.</returns>
    public int MillisecondsToNext(long nowTicks) =>
        this.due.Count == 0 ? Timeout.Infinite : (int)Math.Clamp(this.due.Min!.DueTicks - nowTicks, 0, int.MaxValue);

    /// <summary>Removes every timer.</summary>
    public void Clear()
    {
        this.due.Clear();
        this.byId.Clear();
    }

    private sealed record Entry(int Id, long DueTicks, long Sequence, long? IntervalMs, Action Callback);
}
