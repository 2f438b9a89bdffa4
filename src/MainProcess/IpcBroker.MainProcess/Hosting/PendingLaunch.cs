using System.IO.Pipes;
using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>A mini process the host has started and whose connection it awaits: the secret it was given and its pid.</summary>
/// <param name="key">The mini program.</param>
/// <param name="secretHash">SHA-256 of the one-time secret: the listener looks launches up by it.</param>
/// <param name="processId">The pid of the process the secret is handed to; only that process may present it.</param>
internal sealed class PendingLaunch(MiniAppKey key, string secretHash, int processId)
{
    private readonly TaskCompletionSource<(NamedPipeServerStream Pipe, PeerCredentials Peer)> connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MiniAppKey Key { get; } = key;

    public string SecretHash { get; } = secretHash;

    /// <summary>Gets the pid of the process the secret is handed to.</summary>
    public int ProcessId { get; } = processId;

    /// <summary>Gets when the launch was registered (a <see cref="System.Diagnostics.Stopwatch"/> timestamp): its start's deadline counts from here.</summary>
    public long CreatedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Gets the accepted connection, or the reason there is none.</summary>
    public Task<(NamedPipeServerStream Pipe, PeerCredentials Peer)> Connected => this.connected.Task;

    public bool TryAccept(NamedPipeServerStream pipe, PeerCredentials peer) => this.connected.TrySetResult((pipe, peer));

    public bool TryFail(Exception reason) => this.connected.TrySetException(reason);
}
