namespace IpcBroker.MainProcess.Cli;

/// <summary>A running mini program as <c>list</c> and <c>open</c> print it.</summary>
public sealed record MiniAppDto(string AppId, string Build, int Pid, string State, DateTimeOffset Opened, DateTimeOffset LastUsed);
