namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// The host's pool of mini process slots, at most <see cref="MiniAppHostOptions.MaxMiniProcesses"/>: the processes alive
/// (starting, running or stopping), the slots reserved for starts whose process does not exist yet, and the processes being
/// stopped to make room, whose slots pass to the starts they make room for.
/// </summary>
/// <remarks>Not thread-safe on its own: every member is used under the host's lock (<see cref="MiniAppHost"/>).</remarks>
/// <param name="capacity">The most processes alive at once.</param>
internal sealed class MiniProcessSlots(int capacity)
{
    private readonly HashSet<HostedMiniProcess> processes = [];

    /// <summary>
    /// Processes being stopped to make room for a start at the cap: when one leaves, its slot passes to that start (counted in
    /// <see cref="reserved"/>) instead of being freed, so the cap is never exceeded and no other open takes the slot in between.
    /// </summary>
    private readonly HashSet<HostedMiniProcess> makingRoom = [];
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int reserved;

    /// <summary>Gets the most processes alive at once.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Gets whether no process is alive and no slot reserved.</summary>
    public bool IsEmpty => this.processes.Count + this.reserved == 0;

    /// <summary>Gets the processes alive now, including ones starting or stopping.</summary>
    public IReadOnlyCollection<HostedMiniProcess> Processes => this.processes;

    /// <summary>Gets a task that completes at the next change (<see cref="Signal"/>).</summary>
    public Task Changed => this.changed.Task;

    /// <summary>Reserves a slot for a start below the cap; false at the cap.</summary>
    /// <returns>Whether a slot was reserved.</returns>
    public bool TryReserve()
    {
        if (this.processes.Count + this.reserved >= this.Capacity)
        {
            return false;
        }

        this.reserved++;
        return true;
    }

    /// <summary>A start whose slot is reserved has its process (then it fills the slot) or failed (then the slot is freed).</summary>
    /// <param name="process">The started process, or null when none started.</param>
    public void FillReserved(HostedMiniProcess? process)
    {
        this.reserved--;
        if (process is not null)
        {
            this.processes.Add(process);
        }
        else
        {
            this.Signal();
        }
    }

    /// <summary>Marks <paramref name="evicted"/> as stopped to make room: its slot passes to a start when it leaves.</summary>
    /// <param name="evicted">A process alive now.</param>
    public void MakeRoomWith(HostedMiniProcess evicted) => this.makingRoom.Add(evicted);

    /// <summary>
    /// A start that was to take the slot of <paramref name="evicted"/> gives it up: freed if the process has left already, else
    /// left with the process (which frees it when it leaves).
    /// </summary>
    /// <param name="evicted">The process it made room with.</param>
    public void GiveUpSlotOf(HostedMiniProcess evicted)
    {
        if (!this.makingRoom.Remove(evicted))
        {
            this.reserved--;
            this.Signal();
        }
    }

    /// <summary>A process ended: its slot is freed, or passes to the start it made room for.</summary>
    /// <param name="process">The process.</param>
    public void Leave(HostedMiniProcess process)
    {
        this.processes.Remove(process);
        if (this.makingRoom.Remove(process))
        {
            // Its slot passes to the start it made room for, which starts its process next.
            this.reserved++;
        }

        this.Signal();
    }

    /// <summary>Wakes the starts waiting for a slot (a start completed, a process ended, a logout or disposal).</summary>
    public void Signal()
    {
        // Its continuations run asynchronously, never here under the host's lock.
        this.changed.TrySetResult();
        this.changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
