namespace IpcBroker;

/// <summary>How one call is made.</summary>
public sealed record IpcCallOptions
{
    /// <summary>Gets the call's deadline, from the moment it is made; null takes the event's or the connection's default (25 s unless configured).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Gets a token that cancels the call; the call then completes at once with <see cref="IpcErrorCode.Canceled"/>.</summary>
    public CancellationToken CancellationToken { get; init; }
}
