namespace IpcBroker.MainProcess.Cli;

/// <summary>A call's outcome as the control protocol carries it; <c>Data</c> is the bundle as JSON.</summary>
public sealed record CallResultDto(bool Ok, string ErrorCode, string? ErrorMessage, string Data);
