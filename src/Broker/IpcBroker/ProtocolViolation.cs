namespace IpcBroker;

/// <summary>
/// Why a connection was cut off for breaking the wire protocol (docs/protocol.md, section 8). A peer that does any of
/// these is not a peer this side can keep serving: the connection closes, local callers see
/// <see cref="IpcErrorCode.PeerDisconnected"/>, and the main process stops the mini process.
/// </summary>
/// <remarks>The names are stable: they appear in logs, in <see cref="IpcConnection.CloseReason"/> and as the
/// <c>reason</c> tag of the <c>ipc.protocol_violations</c> counter. The numeric values never cross the wire.</remarks>
public enum ProtocolViolation
{
    /// <summary>A frame on channel 0 declared a length that is zero, negative or above the receiver's frame cap.</summary>
    FrameLength = 1,

    /// <summary>A frame's body did not all arrive within <see cref="IpcConnectionOptions.FrameReadTimeout"/> of its length header.</summary>
    FrameTimeout = 2,

    /// <summary>A frame's body is not one well-formed MessagePack value.</summary>
    UndecodableFrame = 3,

    /// <summary>A frame is MessagePack but not a JSON-RPC request, notification, result or error.</summary>
    NotJsonRpc = 4,

    /// <summary>A result or error answers a request id this side never sent, or one already answered.</summary>
    UnexpectedAnswer = 5,

    /// <summary>A request names a method other than <c>ipc.call</c> and <c>$/cancelRequest</c>.</summary>
    UnknownMethod = 6,

    /// <summary>A known method's params have the wrong count or types (<c>ipc.call</c>: [str, int, bin|nil, uint]).</summary>
    BadParams = 7,

    /// <summary>The peer had more payload channels offered and not yet named than <see cref="IpcConnectionOptions.MaxUnclaimedChannels"/>.</summary>
    TooManyUnclaimedChannels = 8,

    /// <summary>A payload channel the peer offered was not named by any message within <see cref="IpcConnectionOptions.UnclaimedChannelTimeout"/>.</summary>
    UnclaimedChannelExpired = 9,

    /// <summary>
    /// A payload channel a message named sent nothing and did not complete for <see cref="IpcConnectionOptions.PayloadChannelIdleTimeout"/>:
    /// a sender writes its whole payload at once, so a silent open channel is one left hanging.
    /// </summary>
    PayloadChannelStalled = 10,
}
