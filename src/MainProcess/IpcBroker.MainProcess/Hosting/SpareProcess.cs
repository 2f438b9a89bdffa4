namespace IpcBroker.MainProcess.Hosting;

/// <summary>The host's record of one spare mini process: the process, when it is ready to bind, and the watch on its exit.</summary>
/// <param name="process">The process, whose <see cref="HostedMiniProcess.Key"/> is set when it is bound.</param>
/// <param name="ready">Completes when it is ready to bind; never faults.</param>
internal sealed class SpareProcess(HostedMiniProcess process, Task ready)
{
    public HostedMiniProcess Process { get; } = process;

    /// <summary>Gets a task that completes when the spare waits for its launch line with its runtime up.</summary>
    public Task Ready { get; } = ready;

    /// <summary>Gets whether it is ready to bind.</summary>
    public bool IsReady => this.Ready.IsCompleted;

    /// <summary>Gets or sets the watch on its exit (set once, right after it joins the host's spares).</summary>
    public Task Watch { get; set; } = Task.CompletedTask;

    /// <summary>Gets a snapshot for <see cref="MiniAppHost.GetSpareProcesses"/>.</summary>
    /// <returns>The snapshot.</returns>
    public MiniSpareInfo Snapshot() => new(this.Process.ProcessId, this.Process.Process.StartedAt, this.IsReady);
}
