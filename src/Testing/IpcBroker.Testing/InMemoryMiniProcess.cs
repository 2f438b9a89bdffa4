using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging;

namespace IpcBroker.Testing;

/// <summary>
/// A mini "process" of the in-memory transport: the mini side's connection, served in the test process. Like a real mini
/// process it ends when its session ends; a stop ends its connection in order (exit code 0), a kill drops its stream at once
/// (exit code 137, as for SIGKILL); <see cref="Exited"/> completes once, whichever came first.
/// </summary>
/// <param name="processId">The made-up process id the main side sees.</param>
internal sealed class InMemoryMiniProcess(int processId) : IMiniProcess
{
    /// <summary>The exit code of a kill: 128 + SIGKILL, what a killed real process reports.</summary>
    internal const int KilledExitCode = 137;

    private readonly TaskCompletionSource exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object gate = new();
    private IpcConnection? mini;
    private Stream? miniStream;
    private bool ending;

    /// <inheritdoc/>
    public int ProcessId { get; } = processId;

    /// <inheritdoc/>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <inheritdoc/>
    public MiniProcessSandbox? Sandbox => null;

    /// <inheritdoc/>
    public Task Exited => this.exited.Task;

    /// <inheritdoc/>
    public int ExitCode { get; private set; }

    /// <summary>Gets the mini side's way to the main process, once connected.</summary>
    public ConnectionCaller? Caller { get; private set; }

    /// <summary>Gives the process its mini side; false when it has ended meanwhile (the mini side is then the caller's to close).</summary>
    /// <param name="connection">The mini side's connection.</param>
    /// <param name="stream">Its end of the duplex pair.</param>
    /// <returns>Whether the process took it.</returns>
    public bool TryAttach(IpcConnection connection, Stream stream)
    {
        lock (this.gate)
        {
            if (this.ending)
            {
                return false;
            }

            this.mini = connection;
            this.miniStream = stream;
            this.Caller = new ConnectionCaller(connection);
        }

        // Like a real mini process: when its session ends, it exits.
        _ = this.ExitWhenClosedAsync(connection);
        return true;
    }

    /// <inheritdoc/>
    public Task StopAsync(TimeSpan shutdownTimeout, TimeSpan reapTimeout, ILogger logger) => this.EndAsync(0, abruptly: false);

    /// <inheritdoc/>
    public void Kill() => _ = this.EndAsync(KilledExitCode, abruptly: true);

    /// <inheritdoc/>
    public void Release()
    {
        // Nothing is held past the end: the mini side was disposed as the process ended.
    }

    private async Task ExitWhenClosedAsync(IpcConnection connection)
    {
        await connection.Completion.ConfigureAwait(false);
        await this.EndAsync(0, abruptly: false).ConfigureAwait(false);
    }

    /// <summary>Ends the mini side; the first call decides the exit code, and every call returns once it has ended.</summary>
    private async Task EndAsync(int exitCode, bool abruptly)
    {
        IpcConnection? connection;
        Stream? stream;
        lock (this.gate)
        {
            if (this.ending)
            {
                connection = null;
                stream = null;
            }
            else
            {
                this.ending = true;
                this.ExitCode = exitCode;
                connection = this.mini;
                stream = this.miniStream;
                this.mini = null;
                this.miniStream = null;
                if (connection is null)
                {
                    // Ended before it was connected: nothing to close.
                    this.exited.TrySetResult();
                }
            }
        }

        if (connection is null)
        {
            await this.exited.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            if (abruptly)
            {
                // Like SIGKILL: the stream goes first, with no orderly close of the connection.
                await stream!.DisposeAsync().ConfigureAwait(false);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            this.exited.TrySetResult();
        }
    }
}
