using System.Diagnostics;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// One mini program process, which serves one mini program for its whole life: its standard input (its one launch line,
/// then kept open as its lifeline; closing it is the shutdown message), its exit, and the stop sequence. Made by
/// <see cref="PipeMiniProcessTransport"/>.
/// </summary>
internal sealed class MiniProcessHandle : IMiniProcess
{
    private readonly object stdinLock = new();
    private bool launchLineSent;

    /// <summary>
    /// How long, after the process has exited, its output may take to reach its end: a descendant that outlived it may
    /// hold the pipes open, and the exit must not wait on it for good.
    /// </summary>
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly Task outputDrained;
    private readonly Func<Task>? afterExit;

    /// <param name="process">The started process; disposed by the host once it has exited.</param>
    /// <param name="stderrTail">The last lines of its standard error.</param>
    /// <param name="startedAt">When it was started.</param>
    /// <param name="outputDrained">Completes when its standard output and error have been read to their end.</param>
    /// <param name="afterExit">
    /// Runs once the process has exited and its output is read, before <see cref="Exited"/> completes: removes what it was
    /// given for its life (scratch directory, cgroup). Must not throw.
    /// </param>
    public MiniProcessHandle(Process process, StderrTail stderrTail, DateTimeOffset startedAt, Task outputDrained, Func<Task>? afterExit = null)
    {
        this.outputDrained = outputDrained;
        this.afterExit = afterExit;
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

    /// <summary>Gets the descriptor at which the process holds its connection to the host, already connected by the launcher; null when it connects itself.</summary>
    public int? SocketFd { get; init; }

    /// <summary>Gets the sandbox it was started in, or null.</summary>
    public MiniProcessSandbox? Sandbox { get; init; }

    /// <summary>Gets the log of its output lines, which keeps the last exit reason it wrote; null when its output is not read.</summary>
    public ChildOutputLog? OutputLog { get; init; }

    /// <summary>Gets the last exit reason the process wrote on its standard output (a mini program written in JavaScript that was stopped), or null.</summary>
    public string? ExitReason => this.OutputLog?.ExitReason;

    /// <summary>Gets, for a spare, whether it has said it is ready to bind (heard until its launch line is sent); null for any other process.</summary>
    public SpareReadiness? SpareReadiness { get; init; }

    /// <summary>Gets a task that completes when the process has exited and been reaped, and its output read to its end (or <see cref="OutputDrainTimeout"/> after).</summary>
    public Task Exited { get; }

    /// <summary>Gets or sets the mini program it serves, for the log of a kill.</summary>
    public MiniAppKey LastKey { get; set; }

    private async Task WaitForExitAsync()
    {
        await this.Process.WaitForExitAsync().ConfigureAwait(false);
        this.ExitCode = this.Process.ExitCode;

        // Its last lines (often why it died) are read before the host disposes the process and its pipes with it.
        await Task.WhenAny(this.outputDrained, Task.Delay(OutputDrainTimeout)).ConfigureAwait(false);
        if (this.afterExit is not null)
        {
            await this.afterExit().ConfigureAwait(false);
        }
    }

    /// <summary>Writes the process's one launch line; false when its standard input is already closed or broken.</summary>
    /// <exception cref="InvalidOperationException">
    /// When it has had its launch line (sent or not): a process never gets a second one, so that a process that ran one mini
    /// program is never handed another's secret.
    /// </exception>
    public bool TrySendLaunchLine(MiniLaunchInfo launchInfo)
    {
        lock (this.stdinLock)
        {
            if (this.launchLineSent)
            {
                throw new InvalidOperationException($"The mini process {this.ProcessId} has had its launch line: a process serves one mini program for its life.");
            }

            this.launchLineSent = true;

            // From here on the process may run a mini program: whatever it writes is no longer a spare's ready signal.
            this.SpareReadiness?.Close();
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
    /// <param name="reapTimeout">
    /// How long a killed process may take to be reaped before this throws <see cref="TimeoutException"/>; zero (a test's
    /// wedged reaper) throws at once, even when the process happens to be reaped between the kill and the wait.
    /// </param>
    /// <param name="logger">Where a kill is logged.</param>
    public async Task StopAsync(TimeSpan shutdownTimeout, TimeSpan reapTimeout, ILogger logger)
    {
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
            if (reapTimeout == TimeSpan.Zero)
            {
                // Exited may complete on the runtime's SIGCHLD thread as soon as the kill lands, so a zero wait would race it.
                throw new TimeoutException($"process {this.ProcessId} was not reaped at once after it was killed (no time allowed for it)");
            }

            await this.Exited.WaitAsync(reapTimeout).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the process's standard output and error. They are read from their raw streams, which
    /// <c>Process.Dispose</c> leaves open (it closes only streams read through its own events),
    /// so the host closes them once the process has exited; a read still pending ends.
    /// </summary>
    public void CloseOutput()
    {
        this.Process.StandardOutput.Dispose();
        this.Process.StandardError.Dispose();
    }

    /// <summary>Closes the process's output and disposes it, once it has exited; later stops of it see it exited and touch nothing.</summary>
    public void Release()
    {
        this.CloseOutput();
        this.Process.Dispose();
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
