namespace IpcBroker.MainProcess.Cli;

/// <summary>A spare mini process as <c>list</c> prints it: started, bound to no mini program yet.</summary>
/// <param name="Pid">Its process.</param>
/// <param name="Started">When it was started.</param>
/// <param name="Ready">Whether it waits for its launch line with its runtime up (binding it is quick).</param>
public sealed record SpareDto(int Pid, DateTimeOffset Started, bool Ready);
