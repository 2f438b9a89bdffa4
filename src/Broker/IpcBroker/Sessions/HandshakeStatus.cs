namespace IpcBroker.Sessions;

/// <summary>The host's verdict on a mini process's hello. The numbers cross the wire.</summary>
public enum HandshakeStatus : byte
{
    /// <summary>Accepted: the connection now carries the multiplexed JSON-RPC protocol.</summary>
    Accepted = 0,

    /// <summary>The protocol versions differ; the message says which the host speaks.</summary>
    VersionMismatch = 1,

    /// <summary>The secret is unknown, already used or revoked, or the peer is not the process the host started.</summary>
    Denied = 2,

    /// <summary>The hello was malformed.</summary>
    Malformed = 3,
}
