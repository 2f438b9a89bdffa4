namespace IpcBroker.MainProcess.Cli;

/// <summary>A registered event as <c>events</c> lists it.</summary>
public sealed record EventDto(string Event, string Side, string? Description, string Source);
