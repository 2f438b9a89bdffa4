using IpcBroker.MiniProcess;

namespace IpcBroker.Testing;

/// <summary>An in-memory mini side's way to the main process: calls on its connection.</summary>
/// <param name="connection">The mini side's connection.</param>
internal sealed class ConnectionCaller(IpcConnection connection) : IMainProcessCaller
{
    /// <inheritdoc/>
    public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) => connection.CallAsync(eventId, request, options, cancellationToken);
}
