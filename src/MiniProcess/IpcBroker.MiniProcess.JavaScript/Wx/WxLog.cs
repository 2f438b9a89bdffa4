using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The log messages of the <c>wx</c> functions and the JS plugins (event ids 4050–4099).</summary>
internal static partial class WxLog
{
    [LoggerMessage(EventId = 4050, Level = LogLevel.Debug, Message = "wx.{Api}: the mini program ended before the answer was delivered; it was dropped")]
    public static partial void AnswerDropped(ILogger logger, string api);

    [LoggerMessage(EventId = 4051, Level = LogLevel.Warning, Message = "JS plugin {ApiName}: a final answer ({Kind}) after the first was ignored")]
    public static partial void LaterAnswerIgnored(ILogger logger, string apiName, string kind);

    [LoggerMessage(EventId = 4052, Level = LogLevel.Warning, Message = "JS plugin {ApiName}: SendState after the final answer was ignored")]
    public static partial void LateStateIgnored(ILogger logger, string apiName);

    [LoggerMessage(EventId = 4053, Level = LogLevel.Error, Message = "JS plugin {ApiName}: the handler {Method} threw; the call fails")]
    public static partial void HandlerThrew(ILogger logger, Exception exception, string apiName, string method);

    [LoggerMessage(EventId = 4054, Level = LogLevel.Warning, Message = "JS plugin {ApiName}: the handler {Method} finished its task without an answer; the call fails")]
    public static partial void HandlerGaveNoAnswer(ILogger logger, string apiName, string method);

    [LoggerMessage(EventId = 4055, Level = LogLevel.Warning, Message = "JS plugin {ApiName}: the handler {Method} threw after it had answered")]
    public static partial void HandlerThrewAfterAnswer(ILogger logger, Exception exception, string apiName, string method);

    [LoggerMessage(EventId = 4056, Level = LogLevel.Error, Message = "wx.{Api}: the dispatcher threw; the call fails")]
    public static partial void DispatcherThrew(ILogger logger, Exception exception, string api);

    [LoggerMessage(EventId = 4057, Level = LogLevel.Information, Message = "No MiniOpenApiProxy is registered: the wx open APIs run their default implementations, the others answer NotImplemented")]
    public static partial void DefaultProxy(ILogger logger);

    [LoggerMessage(EventId = 4058, Level = LogLevel.Warning, Message = "JS plugin {ApiName}: the handler {Method} gave no answer within {TimeoutMs} ms; the call fails with errno Timeout")]
    public static partial void HandlerTimedOut(ILogger logger, string apiName, string method, double timeoutMs);
}
