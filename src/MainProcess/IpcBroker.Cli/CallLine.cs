namespace IpcBroker.MainProcess.Cli;

/// <summary>One completed call, as <c>monitor</c> prints it.</summary>
public sealed record CallLine(DateTimeOffset Time, string Direction, string AppId, int Pid, string Event, double DurationMs, long RequestBytes, long ResponseBytes, string Outcome);
