using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// One mini process as the host sees it, whatever it runs on: its id, its one exit, and how to end it. Made by an
/// <see cref="IMiniProcessTransport"/>; <see cref="MiniProcessHandle"/> is a real process, the testing kit's is a mini side
/// served in the test process.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="Exited"/> completes once and never faults, whatever ends the process (its own exit, a stop, a
/// kill, a crash). The host calls <see cref="Release"/> once, after <see cref="Exited"/> has completed and its exit has
/// been reported.
/// </remarks>
internal interface IMiniProcess
{
    /// <summary>Gets the process id the host reports (made up in memory).</summary>
    int ProcessId { get; }

    /// <summary>Gets when the process was started.</summary>
    DateTimeOffset StartedAt { get; }

    /// <summary>Gets the sandbox it was started in, or null.</summary>
    MiniProcessSandbox? Sandbox { get; }

    /// <summary>Gets a task that completes once, when the process has ended and everything it held was given back.</summary>
    Task Exited { get; }

    /// <summary>Gets the exit code (128 + N for signal N), once <see cref="Exited"/> has completed.</summary>
    int ExitCode { get; }

    /// <summary>Gets the last exit reason the process wrote (<see cref="IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatExitReason"/>), or null; read once <see cref="Exited"/> has completed.</summary>
    string? ExitReason => null;

    /// <summary>
    /// Asks the process to end (it ends on its own), waits up to <paramref name="shutdownTimeout"/>, then kills it; returns once
    /// it has ended.
    /// </summary>
    /// <param name="shutdownTimeout">How long it may take to end by itself.</param>
    /// <param name="reapTimeout">How long a killed process may take to end before this throws <see cref="TimeoutException"/>.</param>
    /// <param name="logger">Where a kill is logged.</param>
    /// <returns>A task that completes when the process has ended.</returns>
    Task StopAsync(TimeSpan shutdownTimeout, TimeSpan reapTimeout, ILogger logger);

    /// <summary>Ends the process at once; does nothing when it has ended already.</summary>
    void Kill();

    /// <summary>Gives back what the host held of the process (its handle, its pipes) once it has ended.</summary>
    void Release();
}
