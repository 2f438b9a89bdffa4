using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Log messages of the JavaScript runtime, each with a stable event id (4000-4049).</summary>
internal static partial class JsLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Launched the JavaScript mini program {AppId} (entry {Entry}, {FileCount} files).")]
    public static partial void Launched(ILogger logger, string appId, string entry, int fileCount);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "The JavaScript mini program {AppId} cannot run: {Reason}")]
    public static partial void LaunchFailed(ILogger logger, string appId, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "The JavaScript mini program was stopped: {Reason}")]
    public static partial void Runaway(ILogger logger, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "onHide did not finish within {TimeoutMs} ms; the mini program ends without it.")]
    public static partial void HideTimedOut(ILogger logger, double timeoutMs);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "A JavaScript global installer ({Installer}) failed.")]
    public static partial void InstallerFailed(ILogger logger, Exception exception, string installer);
}
