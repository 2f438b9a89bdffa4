using IpcBroker.MainProcess.Hosting.Sandbox;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// How <see cref="MiniAppHost"/> starts a mini process and reaches it: the seam between the host's logic (the cap, the least
/// recently used takeover, reactivation, stops, logout, the exit notice, the sessions, the policy) and where mini processes run.
/// </summary>
/// <remarks>
/// <para><see cref="PipeMiniProcessTransport"/> starts a real process and admits it on a private Unix socket with a one-time
/// secret; the testing kit's transport serves the mini side in the test process over an in-memory duplex pair.</para>
/// <para>A start has two steps, so that the host knows of the process (counts it, notices its exit, stops it at logout)
/// while it connects: <see cref="Launch"/> then <see cref="ConnectAsync"/>, called once per process. Thread-safe: starts of
/// different mini programs run at once. Internal: admitting the process (which process may speak as which mini program)
/// is the broker's security boundary, and stays the broker's.</para>
/// </remarks>
internal interface IMiniProcessTransport : IAsyncDisposable
{
    /// <summary>Gets where mini processes connect (the socket path; a description in memory).</summary>
    string Address { get; }

    /// <summary>Gets the protections every process this transport starts gets.</summary>
    MiniProcessProtections Protections { get; }

    /// <summary>Starts a process for <paramref name="key"/>; it does not serve it until <see cref="ConnectAsync"/>.</summary>
    /// <param name="key">The mini program the process will serve, for its whole life.</param>
    /// <param name="sandboxDirectory">The mini program's own directory for the signed-in user, or null.</param>
    /// <returns>The started process.</returns>
    /// <exception cref="MiniAppStartException">When the process may not or could not start.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">When the operating system could not start it.</exception>
    /// <exception cref="IOException">When what it needs could not be prepared.</exception>
    IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory);

    /// <summary>Gets whether this transport starts spares (<see cref="LaunchSpare"/>); false unless it says so.</summary>
    bool SupportsSpares => false;

    /// <summary>
    /// Starts a spare: a process for no mini program yet, with no sandbox directory and no network grant, waiting for its one
    /// launch line without a time limit (<see cref="ConnectAsync"/> later gives it one, as to a process <see cref="Launch"/> started).
    /// </summary>
    /// <returns>The process, and a task that completes when it is ready to bind (never faults; may never complete).</returns>
    /// <exception cref="NotSupportedException">When <see cref="SupportsSpares"/> is false.</exception>
    /// <exception cref="MiniAppStartException">When the process may not start.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">When the operating system could not start it.</exception>
    /// <exception cref="IOException">When what it needs could not be prepared.</exception>
    SpareLaunch LaunchSpare() => throw new NotSupportedException("This transport starts no spare processes.");

    /// <summary>
    /// Tells the process which mini program it serves and waits until it has connected and been admitted, for at most
    /// <see cref="MiniAppHostOptions.StartTimeout"/>.
    /// </summary>
    /// <param name="process">A process <see cref="Launch"/> returned, not connected before.</param>
    /// <param name="key">The mini program.</param>
    /// <param name="sandboxDirectory">Its directory, as given to <see cref="Launch"/>.</param>
    /// <param name="revoked">Cancelled when the start is revoked (logout): the process is not admitted after it.</param>
    /// <returns>The admitted connection, owned by the caller.</returns>
    /// <exception cref="MiniAppStartException">When the process ended, did not connect in time, or cannot be told.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="revoked"/> was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">When the transport was disposed first.</exception>
    /// <remarks>On failure nothing of the connection is left open; the process is left to the caller to stop.</remarks>
    Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked);
}

/// <summary>A spare process an <see cref="IMiniProcessTransport"/> started, and when it is ready to bind.</summary>
/// <param name="Process">The process.</param>
/// <param name="Ready">Completes when it waits for its launch line with its runtime up; never faults.</param>
internal readonly record struct SpareLaunch(IMiniProcess Process, Task Ready);
