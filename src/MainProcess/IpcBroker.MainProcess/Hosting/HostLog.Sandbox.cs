using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Log messages of the mini processes' sandbox (event ids 2060–2069).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2060, Level = LogLevel.Warning, Message = "Left cgroup {Directory} in place: {Reason}.")]
    internal static partial void CgroupLeft(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 2061, Level = LogLevel.Information, Message = "Removed {Directory}: the scratch directory of a mini process whose host ended without removing it.")]
    internal static partial void RemovedStaleScratchDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = 2068, Level = LogLevel.Information, Message = "The sweep of what ended hosts left is over: removed {ScratchDirectories} scratch directories and {Cgroups} cgroups; {Outcome}.")]
    internal static partial void StaleSweepFinished(ILogger logger, int scratchDirectories, int cgroups, string outcome);

    [LoggerMessage(EventId = 2062, Level = LogLevel.Information, Message = "Removed cgroup {Directory}: the empty cgroup of a mini process whose host ended without removing it.")]
    internal static partial void RemovedStaleCgroup(ILogger logger, string directory);
}
