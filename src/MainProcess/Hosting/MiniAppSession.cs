using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>One running mini program: its process and its connection. Owned by <see cref="MiniAppHost"/>.</summary>
/// <remarks>
/// The process is watched from the moment it starts; its exit closes the connection (so pending calls fail at once,
/// even if the socket's end has not been read yet) and raises one exit notice.
/// </remarks>
internal sealed class MiniAppSession
{
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long lastUsedTicks;
    private int stopRequested;

    public MiniAppSession(MiniAppKey key, Process process, IpcConnection connection, DateTimeOffset startedAt)
    {
        this.Key = key;
        this.Process = process;
        this.ProcessId = process.Id;
        this.Connection = connection;
        this.StartedAt = startedAt;
        this.Touch();
    }

    public MiniAppKey Key { get; }

    public Process Process { get; }

    public int ProcessId { get; }

    public IpcConnection Connection { get; }

    public DateTimeOffset StartedAt { get; }

    public DateTimeOffset LastUsedAt => new(Interlocked.Read(ref this.lastUsedTicks), TimeSpan.Zero);

    /// <summary>Gets a task that completes when the host has cleaned up after the process: reaped, forgotten, notice raised.</summary>
    public Task Finished => this.finished.Task;

    public void MarkFinished() => this.finished.TrySetResult();

    public bool StopRequested => Volatile.Read(ref this.stopRequested) != 0;

    public void Touch() => Interlocked.Exchange(ref this.lastUsedTicks, DateTimeOffset.UtcNow.UtcTicks);

    public MiniAppInfo Snapshot() => new(this.Key.AppId, this.Key.VerType, this.ProcessId, this.StartedAt, this.LastUsedAt, this.Connection.IsConnected);

    /// <summary>
    /// Stops the mini program: closes the connection (pending calls on this side fail with <paramref name="reason"/>),
    /// closes its standard input (the mini process exits on its own), waits up to <paramref name="shutdownTimeout"/>,
    /// then kills it. Returns once the process has exited and been reaped.
    /// </summary>
    /// <param name="reason">Why, for the pending calls.</param>
    /// <param name="shutdownTimeout">How long the process may take to exit by itself.</param>
    /// <param name="logger">Where a kill is logged.</param>
    /// <param name="byHostApp">Whether the host app asked for it (reported as <see cref="MiniProcessExitedEventArgs.StoppedByHost"/>), as opposed to the broker cleaning up a process whose connection dropped.</param>
    public async Task StopAsync(string reason, TimeSpan shutdownTimeout, ILogger logger, bool byHostApp = true)
    {
        if (byHostApp)
        {
            Interlocked.Exchange(ref this.stopRequested, 1);
        }

        this.Connection.Close(IpcErrorCode.PeerDisconnected, reason);
        try
        {
            this.Process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using var graceful = new CancellationTokenSource(shutdownTimeout);
        try
        {
            await this.Process.WaitForExitAsync(graceful.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            HostLog.Killed(logger, this.Key, this.ProcessId, (long)shutdownTimeout.TotalMilliseconds);
            this.Kill();

            // SIGKILL cannot be ignored; the bound only guards against a kernel that is slow to reap.
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await this.Process.WaitForExitAsync(reaped.Token).ConfigureAwait(false);
        }

        await this.Connection.Completion.ConfigureAwait(false);
    }

    public void Kill()
    {
        try
        {
            this.Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }
}
