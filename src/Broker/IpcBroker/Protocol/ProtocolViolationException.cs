namespace IpcBroker.Protocol;

/// <summary>Thrown by the frame reader when the peer breaks the wire protocol; <see cref="StreamJsonRpc.JsonRpc"/> then disconnects.</summary>
internal sealed class ProtocolViolationException : IOException
{
    /// <summary>Initializes a new instance of the <see cref="ProtocolViolationException"/> class.</summary>
    /// <param name="violation">The stable reason code.</param>
    /// <param name="detail">What was wrong, for the log (never sent to the peer).</param>
    /// <param name="innerException">The decoder's exception, if any.</param>
    public ProtocolViolationException(ProtocolViolation violation, string detail, Exception? innerException = null)
        : base($"Protocol violation {violation}: {detail}", innerException)
    {
        this.Violation = violation;
    }

    /// <summary>Gets the stable reason code.</summary>
    public ProtocolViolation Violation { get; }
}
