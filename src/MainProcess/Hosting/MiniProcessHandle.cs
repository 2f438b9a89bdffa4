using System.Diagnostics;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// One mini program process, whichever mini program it serves at the moment: its standard input (launch lines in, and
/// closing it is the shutdown message), its exit, and the stop sequence. Owned by <see cref="MiniAppHost"/>.
/// </summary>
internal sealed class MiniProcessHandle
{
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object stdinLock = new();
    private int stopRequestedByHostApp;

    public MiniProcessHandle(Process process, StderrTail stderrTail, DateTimeOffset startedAt)
    {
        this.Process = process;
        this.ProcessId = process.Id;
        this.StderrTail = stderrTail;
        this.StartedAt = startedAt;

        // Started once, here: every waiter shares it, and the exit code is kept before anyone disposes the process.
        this.Exited = this.WaitForExitAsync();
    }

    /// <summary>Gets the exit code (128 + N for signal N), once <see cref="Exited"/> has completed.</summary>
    public int ExitCode { get; private set; }

    public Process Process { get; }

    public int ProcessId { get; }

    public StderrTail StderrTail { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Gets a task that completes when the process has exited and been reaped.</summary>
    public Task Exited { get; }

    /// <summary>Gets a task that completes when the host has cleaned up after the process: sessions closed, notice raised.</summary>
    public Task Finished => this.finished.Task;

    /// <summary>Gets or sets the mini program it serves now, if any. Guarded by the host's lock.</summary>
    public MiniAppSession? Current { get; set; }

    /// <summary>Gets or sets the mini program it served last, for the exit notice. Guarded by the host's lock.</summary>
    public MiniAppKey LastKey { get; set; }

    public bool StopRequestedByHostApp => Volatile.Read(ref this.stopRequestedByHostApp) != 0;

    public void MarkFinished() => this.finished.TrySetResult();

    private async Task WaitForExitAsync()
    {
        await this.Process.WaitForExitAsync().ConfigureAwait(false);
        this.ExitCode = this.Process.ExitCode;
    }

    /// <summary>Writes a launch line; false when the process's standard input is already closed or broken.</summary>
    public bool TrySendLaunchLine(MiniLaunchInfo launchInfo)
    {
        lock (this.stdinLock)
        {
            try
            {
                this.Process.StandardInput.WriteLine(launchInfo.ToLine());
                this.Process.StandardInput.Flush();
                return true;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Stops the process: closes its standard input (the mini process exits on its own), waits up to
    /// <paramref name="shutdownTimeout"/>, then kills it; returns once it has exited and been reaped.
    /// </summary>
    /// <param name="shutdownTimeout">How long it may take to exit by itself.</param>
    /// <param name="logger">Where a kill is logged.</param>
    /// <param name="byHostApp">Whether the host app asked (reported as <see cref="MiniProcessExitedEventArgs.StoppedByHost"/>), as opposed to the broker cleaning up a process that is of no more use.</param>
    public async Task StopAsync(TimeSpan shutdownTimeout, ILogger logger, bool byHostApp)
    {
        if (byHostApp)
        {
            Interlocked.Exchange(ref this.stopRequestedByHostApp, 1);
        }

        lock (this.stdinLock)
        {
            try
            {
                this.Process.StandardInput.Close();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Already closed or gone.
            }
        }

        if (await Task.WhenAny(this.Exited, Task.Delay(shutdownTimeout)).ConfigureAwait(false) != this.Exited)
        {
            HostLog.Killed(logger, this.LastKey, this.ProcessId, (long)shutdownTimeout.TotalMilliseconds);
            this.Kill();

            // SIGKILL cannot be ignored (a stopped process dies too); the bound only guards against a slow reaper.
            await this.Exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
    }

    public void Kill()
    {
        try
        {
            this.Process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // It has exited already.
        }
    }
}
