using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>Log messages of the mini-side open APIs, each with a stable event id.</summary>
internal static partial class OpenApiLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "A second result for wx.{Api} was ignored.")]
    internal static partial void SecondResult(ILogger logger, string api);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "wx.{Api} gave no result within {TimeoutMs} ms; the mini program gets errno Timeout.")]
    internal static partial void NoResult(ILogger logger, string api, long timeoutMs);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "The implementation of wx.{Api} threw; the mini program gets errno InternalError.")]
    internal static partial void ImplementationThrew(ILogger logger, Exception exception, string api);
}
