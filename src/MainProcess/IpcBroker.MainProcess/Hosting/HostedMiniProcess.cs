using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// The host's record of one mini process it started: the process, the mini program it serves for its whole life, the session
/// it serves now, whether the host app asked for its end, and when the host has finished with it. Owned by <see cref="MiniAppHost"/>.
/// </summary>
/// <param name="process">The process.</param>
/// <param name="key">The mini program it was started for.</param>
internal sealed class HostedMiniProcess(IMiniProcess process, MiniAppKey key)
{
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int stopRequestedByHostApp;
    private int stopIssued;

    public IMiniProcess Process { get; } = process;

    /// <summary>Gets or sets the mini program it serves, for the exit notice: set once more when a spare is bound. Guarded by the host's lock.</summary>
    public MiniAppKey Key { get; set; } = key;

    /// <summary>Gets whether anyone asked the process to end (<see cref="StopAsync"/>): an exit then is no death at start.</summary>
    public bool StopIssued => Volatile.Read(ref this.stopIssued) != 0;

    public int ProcessId => this.Process.ProcessId;

    /// <summary>Gets a task that completes once the process has ended (<see cref="IMiniProcess.Exited"/>).</summary>
    public Task Exited => this.Process.Exited;

    /// <summary>Gets a task that completes when the host has cleaned up after the process: sessions closed, notice raised.</summary>
    public Task Finished => this.finished.Task;

    /// <summary>Gets or sets the session it serves now, if any. Guarded by the host's lock.</summary>
    public MiniAppSession? Current { get; set; }

    /// <summary>Gets whether the host app asked for the process's end (reported as <see cref="MiniProcessExitedEventArgs.StoppedByHost"/>).</summary>
    public bool StopRequestedByHostApp => Volatile.Read(ref this.stopRequestedByHostApp) != 0;

    public void MarkFinished() => this.finished.TrySetResult();

    /// <summary>Records that the host app asked for this process's end, before anything tells the process.</summary>
    public void MarkStopRequestedByHostApp() => Interlocked.Exchange(ref this.stopRequestedByHostApp, 1);

    /// <summary>Stops the process (<see cref="IMiniProcess.StopAsync"/>).</summary>
    /// <param name="shutdownTimeout">How long it may take to end by itself.</param>
    /// <param name="reapTimeout">How long a killed process may take to end.</param>
    /// <param name="logger">Where a kill is logged.</param>
    /// <param name="byHostApp">Whether the host app asked, as opposed to the broker cleaning up a process of no more use.</param>
    public Task StopAsync(TimeSpan shutdownTimeout, TimeSpan reapTimeout, ILogger logger, bool byHostApp)
    {
        Interlocked.Exchange(ref this.stopIssued, 1);
        if (byHostApp)
        {
            this.MarkStopRequestedByHostApp();
        }

        return this.Process.StopAsync(shutdownTimeout, reapTimeout, logger);
    }
}
