using Microsoft.Extensions.Logging;

namespace IpcBroker;

/// <summary>Every log message of the core, each with a stable event id so that tools can filter on it.</summary>
internal static partial class IpcLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "An answer to '{EventId}' was ignored: {Why}.")]
    internal static partial void AnswerIgnored(ILogger logger, string eventId, string why);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "The handler for '{EventId}' did not answer: {Why}.")]
    internal static partial void HandlerTimedOut(ILogger logger, string eventId, string why);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "The handler for '{EventId}' threw; the caller gets HandlerFailed without the detail.")]
    internal static partial void HandlerThrew(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "A callback for '{EventId}' threw; ignored.")]
    internal static partial void CallbackThrew(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Connection to {Peer} closed: {Reason}.")]
    internal static partial void ConnectionClosed(ILogger logger, string peer, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Refused an incoming call to '{EventId}': {Reason}.")]
    internal static partial void IncomingRefused(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "The peer offered more than {Max} payload channels it did not name in a call; closing the connection.")]
    internal static partial void ChannelRefused(ILogger logger, int max);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "An answer from the peer could not be read: {Reason}.")]
    internal static partial void ReplyUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Error, Message = "A callback registered on the connection's closing token threw; the connection closes anyway.")]
    internal static partial void ClosingCallbackThrew(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "{Count} more refused incoming calls were not logged (at most a few a second are).")]
    internal static partial void RefusalsSuppressed(ILogger logger, int count);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "The other process stopped reading: a write made no progress for {TimeoutMs} ms; closing the connection.")]
    internal static partial void PeerStoppedReading(ILogger logger, double timeoutMs);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning, Message = "Protocol violation {Violation} by {Peer}; closing the connection: {Detail}.")]
    internal static partial void ProtocolViolation(ILogger logger, ProtocolViolation violation, string peer, string detail);

    [LoggerMessage(EventId = 1024, Level = LogLevel.Warning, Message = "Denied a call to '{EventId}' from {Peer}: {Reason}.")]
    internal static partial void CallDenied(ILogger logger, string eventId, string peer, string reason);
}
