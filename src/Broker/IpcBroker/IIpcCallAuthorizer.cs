namespace IpcBroker;

/// <summary>
/// Decides whether the process on the other end of a connection may call an event on this side: the connection's
/// seam for a host's policy (<see cref="IpcConnectionOptions.CallAuthorizer"/>).
/// </summary>
/// <remarks>
/// <para>Asked once per incoming call whose event name is well formed, before the call is counted against the peer's
/// cap, before its payload is accepted and before any handler is looked up, so that a refused call costs nothing but
/// the refusal and tells the peer nothing about which events exist. A refused call is answered
/// <see cref="IpcErrorCode.Denied"/> with a message that names the event only; its payload channel, if any, is discarded
/// unread; the connection stays open.</para>
/// <para>The caller is the identity the connection was started with (<see cref="IpcConnection.Remote"/>: for a host, the
/// mini program bound to the connection at the handshake and the pid the kernel reported), never anything the peer
/// sent. The event name is the peer's choice: any string of at most
/// <see cref="Plugins.IpcEventRegistry.MaxEventIdLength"/> characters without control characters.</para>
/// <para>Called on the connection's in-order receive path, concurrently from several connections: it must be
/// thread-safe, fast and must not block (no I/O). An exception counts as a refusal.</para>
/// </remarks>
public interface IIpcCallAuthorizer
{
    /// <summary>Decides whether <paramref name="caller"/> may call <paramref name="eventId"/> on this side.</summary>
    /// <param name="caller">Who is calling, as the connection knows it.</param>
    /// <param name="eventId">The event the peer asked for.</param>
    /// <returns><see langword="true"/> to let the call go on to its handler; <see langword="false"/> to answer it <see cref="IpcErrorCode.Denied"/>.</returns>
    bool IsAllowed(IpcCaller caller, string eventId);
}
