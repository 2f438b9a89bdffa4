namespace IpcBroker;

/// <summary>Why a call failed. Every failed call carries exactly one of these.</summary>
/// <remarks>The numeric values cross the wire; never renumber them.</remarks>
public enum IpcErrorCode
{
    /// <summary>The call succeeded.</summary>
    None = 0,

    /// <summary>No handler is registered for the event on the other side.</summary>
    NoHandler = 1,

    /// <summary>No answer came before the call's deadline.</summary>
    Timeout = 2,

    /// <summary>The caller cancelled the call.</summary>
    Canceled = 3,

    /// <summary>The connection to the other process closed, or that process died, before the answer came.</summary>
    PeerDisconnected = 4,

    /// <summary>The target mini program has no running process.</summary>
    ProcessNotRunning = 5,

    /// <summary>The handler threw, or answered with a failure of its own.</summary>
    HandlerFailed = 6,

    /// <summary>The caller is not allowed to make this call.</summary>
    Denied = 7,

    /// <summary>The request or the answer exceeded a <see cref="BundleLimits"/> limit (the message names it).</summary>
    LimitsExceeded = 8,

    /// <summary>The request was malformed: an empty or overlong event name, an undecodable bundle.</summary>
    BadRequest = 9,

    /// <summary>The user logged out while the call was in flight; every session of that user was revoked.</summary>
    LoggedOut = 10,

    /// <summary>
    /// The other side was already handling as many calls from this side as it allows at once
    /// (<see cref="IpcConnectionOptions.MaxConcurrentIncomingCalls"/>); the call was refused at once, not queued. This
    /// library's own caller keeps to the peer's cap and never sees it.
    /// </summary>
    Busy = 11,
}
