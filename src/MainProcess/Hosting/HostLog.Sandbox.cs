using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Log messages of the mini processes' sandbox (event ids 2060–2069).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2060, Level = LogLevel.Warning, Message = "Left cgroup {Directory} in place: {Reason}.")]
    internal static partial void CgroupLeft(ILogger logger, string directory, string reason);
}
