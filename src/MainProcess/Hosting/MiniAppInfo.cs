namespace IpcBroker.MainProcess.Hosting;

/// <summary>A snapshot of one running mini program.</summary>
/// <param name="AppId">The appId.</param>
/// <param name="VerType">The build.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="StartedAt">When its process was started.</param>
/// <param name="LastUsedAt">When it was last opened or called.</param>
/// <param name="IsConnected">Whether its connection is open.</param>
public sealed record MiniAppInfo(string AppId, MiniAppVerType VerType, int ProcessId, DateTimeOffset StartedAt, DateTimeOffset LastUsedAt, bool IsConnected);
