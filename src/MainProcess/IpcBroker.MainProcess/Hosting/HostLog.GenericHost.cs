using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Log messages of the Generic Host integration (<see cref="MiniAppHostService"/>).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2080, Level = LogLevel.Information, Message = "The MiniAppHost started with the app on {PipePath}, serving {EventCount} main-process events.")]
    internal static partial void GenericHostStarted(ILogger logger, string pipePath, int eventCount);

    [LoggerMessage(EventId = 2081, Level = LogLevel.Information, Message = "The MiniAppHost stopped with the app: every mini process has exited.")]
    internal static partial void GenericHostStopped(ILogger logger);

    [LoggerMessage(EventId = 2082, Level = LogLevel.Warning, Message = "The app's shutdown timeout passed before every mini process had exited; the MiniAppHost goes on stopping them in the background.")]
    internal static partial void GenericHostStopAbandoned(ILogger logger);

    [LoggerMessage(EventId = 2083, Level = LogLevel.Error, Message = "Stopping the MiniAppHost in the background failed.")]
    internal static partial void GenericHostStopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2085, Level = LogLevel.Warning, Message = "The MiniAppHost's hosted service was disposed without the app having stopped it (a hosted service failed to start?); stopping every mini process and disposing the host now.")]
    internal static partial void GenericHostDisposedUnstopped(ILogger logger);
}
