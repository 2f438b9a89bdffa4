using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Log messages of the host side, each with a stable event id.</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Listening on {PipePath}.")]
    internal static partial void Listening(ILogger logger, string pipePath);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Refused a connection: {Reason}.")]
    internal static partial void ConnectionRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Started {Key} as pid {Pid}.")]
    internal static partial void Started(ILogger logger, MiniAppKey key, int pid);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "{Key} pid {Pid} connected; peer credentials pid {PeerPid} uid {Uid}.")]
    internal static partial void Connected(ILogger logger, MiniAppKey key, int pid, int peerPid, uint uid);

    [LoggerMessage(EventId = 2090, Level = LogLevel.Information, Message = "{Key} pid {Pid} connected over a transport without peer credentials (in memory).")]
    internal static partial void ConnectedWithoutCredentials(ILogger logger, MiniAppKey key, int pid);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Mini process ended: {Exit}.")]
    internal static partial void Exited(ILogger logger, MiniProcessExitedEventArgs exit);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "{Key} pid {Pid} did not exit within {TimeoutMs} ms of being asked; killed.")]
    internal static partial void Killed(ILogger logger, MiniAppKey key, int pid, long timeoutMs);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, Message = "[{Key} pid {Pid} {Stream}] {Line}")]
    internal static partial void ChildOutput(ILogger logger, MiniAppKey key, int pid, string stream, string line);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "A handler of the MiniProcessExited event threw.")]
    internal static partial void ExitHandlerThrew(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Reactivated {Key} pid {Pid}.")]
    internal static partial void Reactivated(ILogger logger, MiniAppKey key, int pid);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Stopping {Key} pid {Pid}: {Reason}.")]
    internal static partial void Stopping(ILogger logger, MiniAppKey key, int pid, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Stopping {Evicted} pid {Pid} to make room for {Key}: the cap of {Cap} processes is reached and {Evicted} was used least recently; {Key} gets a new process.")]
    internal static partial void MakingRoom(ILogger logger, int pid, MiniAppKey evicted, MiniAppKey key, int cap);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "User logged out: {Sessions} mini program(s) stopped, {Pending} start(s) revoked.")]
    internal static partial void LoggedOut(ILogger logger, int sessions, int pending);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "A logout participant threw; the others still ran.")]
    internal static partial void LogoutParticipantThrew(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2086, Level = LogLevel.Warning, Message = "A logout participant had not completed within {Timeout}; the logout went on without it.")]
    internal static partial void LogoutParticipantTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Information, Message = "Removed {Directory}: the pipe directory of a host that ended without removing it.")]
    internal static partial void RemovedStalePipeDirectory(ILogger logger, string directory);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Error, Message = "The accept loop on {Path} failed ({Failures} in a row); it goes on accepting.")]
    internal static partial void AcceptFailed(ILogger logger, string path, int failures, Exception exception);

    [LoggerMessage(EventId = 2016, Level = LogLevel.Debug, Message = "[{Key} pid {Pid}] {Dropped} lines dropped (more than {Limit} in {WindowMs} ms).")]
    internal static partial void ChildOutputDropped(ILogger logger, MiniAppKey key, int pid, long dropped, int limit, long windowMs);

    [LoggerMessage(EventId = 2017, Level = LogLevel.Information, Message = "{Key} waits for a slot: all {Cap} mini program processes are starting or stopping.")]
    internal static partial void WaitingForSlot(ILogger logger, MiniAppKey key, int cap);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Warning, Message = "Closed a control client: {Reason}.")]
    internal static partial void ControlClientClosed(ILogger logger, string reason);

    [LoggerMessage(EventId = 2019, Level = LogLevel.Warning, Message = "{Key} did not start, and its process {Pid} could not be cleaned up: {Reason}.")]
    internal static partial void StartCleanupFailed(ILogger logger, MiniAppKey key, int pid, string reason);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Warning, Message = "Refused a control connection from pid {Pid} before reading it: {Reason}.")]
    internal static partial void ControlPeerRefused(ILogger logger, int pid, string reason);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning, Message = "{Count} more refused control connections were not logged (at most a few a second are).")]
    internal static partial void ControlPeersRefusedUnlogged(ILogger logger, int count);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Warning, Message = "Refused to start {Key}: the host's policy does not list it among the mini programs it starts.")]
    internal static partial void StartDenied(ILogger logger, MiniAppKey key);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "Mini processes are sandboxed: {Protections}.")]
    internal static partial void SandboxComplete(ILogger logger, string protections);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "Mini processes are sandboxed only in part: {Protections}. Missing: {Missing}.")]
    internal static partial void SandboxIncomplete(ILogger logger, string protections, string missing);

    [LoggerMessage(EventId = 2042, Level = LogLevel.Warning, Message = "{Key} pid {Pid} has exited, but its scratch directory {Directory} could not be removed: {Reason}.")]
    internal static partial void SandboxCleanupFailed(ILogger logger, MiniAppKey key, int pid, string directory, string reason);

    [LoggerMessage(EventId = 2084, Level = LogLevel.Warning, Message = "The {What}, which its caller stopped waiting for, failed.")]
    internal static partial void AbandonedWorkFailed(ILogger logger, Exception exception, string what);
}
