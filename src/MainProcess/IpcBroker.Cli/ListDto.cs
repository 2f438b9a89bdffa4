namespace IpcBroker.MainProcess.Cli;

/// <summary>What <c>list --json</c> prints: the running mini programs, and apart from them the spare processes.</summary>
/// <param name="MiniApps">The running or stopping mini programs, oldest first.</param>
/// <param name="Spares">The spare processes, bound to no mini program and not counted in the cap.</param>
public sealed record ListDto(MiniAppDto[] MiniApps, SpareDto[] Spares);
