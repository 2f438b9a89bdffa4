namespace IpcBroker;

/// <summary>Who made an incoming call. Set by the broker from the session, never read from the payload.</summary>
/// <param name="Side">The side the caller runs on.</param>
/// <param name="AppId">The mini program the connection belongs to (for a call from the main process: the mini program being called).</param>
/// <param name="VerType">That mini program's build.</param>
/// <param name="ProcessId">The calling process's id, as the kernel reported it for the connection (or the host's own id for calls from the main process).</param>
public sealed record IpcCaller(IpcSide Side, string AppId, MiniAppVerType VerType, int ProcessId);
