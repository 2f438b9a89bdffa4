namespace IpcBroker.MainProcess.Hosting;

/// <summary>A snapshot of one spare mini process: started, serving no mini program yet (<see cref="MiniAppHostOptions.SpareProcesses"/>).</summary>
/// <param name="ProcessId">Its process id.</param>
/// <param name="StartedAt">When it was started.</param>
/// <param name="IsReady">Whether its runtime is up and it waits for its launch line, so that binding it is quick.</param>
public sealed record MiniSpareInfo(int ProcessId, DateTimeOffset StartedAt, bool IsReady);
