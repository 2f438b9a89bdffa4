using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>The host's log events about spare mini processes (2100-2119).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Debug, Message = "Started spare mini process pid {Pid}.")]
    public static partial void SpareStarted(ILogger logger, int pid);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Spare mini process pid {Pid} is ready to bind.")]
    public static partial void SpareReady(ILogger logger, int pid);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Binding spare mini process pid {Pid} to {Key}; a new spare starts in the background.")]
    public static partial void SpareBound(ILogger logger, int pid, MiniAppKey key);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Spare mini process pid {Pid} exited with code {ExitCode} before it served any mini program.{Tail}")]
    public static partial void SpareDied(ILogger logger, int pid, int exitCode, string tail);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "The mini executable died at start {Failures} times in a row (last: {Reason}); spares and starts wait {DelayMs} ms before the next start.")]
    public static partial void StartsBackingOff(ILogger logger, int failures, string reason, long delayMs);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Could not start a spare mini process: {Reason}.")]
    public static partial void SpareStartFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Debug, Message = "{Key} starts a process of its own instead of binding a spare: {Reason}.")]
    public static partial void SpareNotUsable(ILogger logger, MiniAppKey key, string reason);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "Refused to start {Key} for {RemainingMs} ms more: {Reason}.")]
    public static partial void StartRefusedBackingOff(ILogger logger, MiniAppKey key, long remainingMs, string reason);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Debug, Message = "Stopped spare mini process pid {Pid} (exit code {ExitCode}).")]
    public static partial void SpareStopped(ILogger logger, int pid, int exitCode);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Warning, Message = "The processes of {Key} died at start {Failures} times in a row (last: {Reason}); its starts wait {DelayMs} ms before the next one.")]
    public static partial void AppStartsBackingOff(ILogger logger, MiniAppKey key, int failures, string reason, long delayMs);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Information, Message = "No spare mini process is kept, as no open could bind one: {Reason}.")]
    public static partial void SparesNeverUsable(ILogger logger, string reason);
}
