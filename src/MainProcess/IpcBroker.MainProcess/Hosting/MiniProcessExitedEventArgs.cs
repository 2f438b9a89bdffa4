namespace IpcBroker.MainProcess.Hosting;

/// <summary>A mini process has ended (the counterpart of Binder's linkToDeath notice).</summary>
/// <param name="appId">The mini program's appId.</param>
/// <param name="verType">Its build.</param>
/// <param name="processId">The process id it had.</param>
/// <param name="exitCode">The exit code; on Linux a process ended by signal N reports 128 + N.</param>
/// <param name="stoppedByHost">Whether the host stopped it.</param>
public sealed class MiniProcessExitedEventArgs(string appId, MiniAppVerType verType, int processId, int exitCode, bool stoppedByHost) : EventArgs
{
    /// <summary>Gets the mini program's appId.</summary>
    public string AppId { get; } = appId;

    /// <summary>Gets its build.</summary>
    public MiniAppVerType VerType { get; } = verType;

    /// <summary>Gets the process id it had.</summary>
    public int ProcessId { get; } = processId;

    /// <summary>Gets the exit code (128 + N for signal N).</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>Gets the signal that ended it, when it looks so (exit code above 128), else null.</summary>
    public int? Signal => this.ExitCode > 128 && this.ExitCode < 128 + 65 ? this.ExitCode - 128 : null;

    /// <summary>Gets a value indicating whether the host stopped it.</summary>
    public bool StoppedByHost { get; } = stoppedByHost;

    /// <summary>
    /// Gets why it exited in its own words, or null: the last exit reason line it wrote on its standard output (a mini
    /// program written in JavaScript that was stopped for running, allocating or recursing without bound says so there),
    /// cut at <see cref="IpcBroker.MiniPrograms.MiniProgramOutputLine.MaxTextLength"/> characters. A mini process may be
    /// compromised: this is its own claim, not the host's finding.
    /// </summary>
    public string? Reason { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{this.AppId} ({this.VerType}) pid {this.ProcessId} exited with code {this.ExitCode}{(this.Signal is { } s ? $" (signal {s})" : string.Empty)}{(this.StoppedByHost ? ", stopped by the host" : string.Empty)}{(this.Reason is { } r ? $": {r}" : string.Empty)}";
}
