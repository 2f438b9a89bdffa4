namespace IpcBroker.Sessions;

/// <summary>Thrown when a handshake fails; the connection is closed.</summary>
/// <param name="status">Why.</param>
/// <param name="message">A readable reason.</param>
public sealed class HandshakeException(HandshakeStatus status, string message) : IOException(message)
{
    /// <summary>Gets why the handshake failed.</summary>
    public HandshakeStatus Status { get; } = status;
}
