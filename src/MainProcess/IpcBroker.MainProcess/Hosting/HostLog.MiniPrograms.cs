using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>The host's log events about mini programs written in JavaScript (2140-2169).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2140, Level = LogLevel.Information, Message = "Mapped the mini program {AppId} to the package {Directory}.")]
    public static partial void MiniProgramMapped(ILogger logger, string appId, string directory);

    [LoggerMessage(EventId = 2141, Level = LogLevel.Debug, Message = "Launching the mini program of {Key} pid {Pid}: package {Directory}, {Files} files, {Bytes} bytes, entry {Entry}.")]
    public static partial void Launching(ILogger logger, MiniAppKey key, int pid, string directory, int files, long bytes, string entry);

    [LoggerMessage(EventId = 2142, Level = LogLevel.Information, Message = "{Key} pid {Pid} launched its mini program in {ElapsedMs} ms.")]
    public static partial void Launched(ILogger logger, MiniAppKey key, int pid, long elapsedMs);

    [LoggerMessage(EventId = 2143, Level = LogLevel.Warning, Message = "{Key} pid {Pid} did not launch its mini program: {Reason}.")]
    public static partial void LaunchFailed(ILogger logger, MiniAppKey key, int pid, string reason);

    [LoggerMessage(EventId = 2144, Level = LogLevel.Debug, Message = "{Key} pid {Pid} ran onShow.")]
    public static partial void Shown(ILogger logger, MiniAppKey key, int pid);

    [LoggerMessage(EventId = 2145, Level = LogLevel.Warning, Message = "{Key} pid {Pid} did not run onShow: {Reason}.")]
    public static partial void ShowFailed(ILogger logger, MiniAppKey key, int pid, string reason);

#pragma warning disable SYSLIB1015 // The pid is a property of the line, not part of its text: the text is the mini program's own.
    [LoggerMessage(EventId = 2146, Message = "{AppId}: {Text}")]
    public static partial void MiniProgramConsole(ILogger logger, LogLevel level, string appId, int pid, string text);
#pragma warning restore SYSLIB1015

    [LoggerMessage(EventId = 2148, Level = LogLevel.Debug, Message = "{Key} pid {Pid} was stopped while its onShow ran: {Reason}.")]
    public static partial void ShowEndedByStop(ILogger logger, MiniAppKey key, int pid, string reason);

    [LoggerMessage(EventId = 2147, Level = LogLevel.Debug, Message = "[{Key} pid {Pid}] says it is about to exit: {Reason}")]
    public static partial void ExitReasonHeard(ILogger logger, MiniAppKey key, int pid, string reason);
}
