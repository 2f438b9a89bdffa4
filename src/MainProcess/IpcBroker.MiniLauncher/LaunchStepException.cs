namespace IpcBroker.MiniLauncher;

/// <summary>A step of the launch failed; the launcher reports <see cref="Exception.Message"/> and exits with <see cref="ExitCode"/>.</summary>
internal sealed class LaunchStepException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="LaunchStepException"/> class.</summary>
    /// <param name="exitCode">The exit code of the step that failed.</param>
    /// <param name="message">What failed and why, for stderr.</param>
    public LaunchStepException(LauncherExitCode exitCode, string message)
        : base(message)
    {
        this.ExitCode = exitCode;
    }

    /// <summary>Gets the exit code of the step that failed.</summary>
    public LauncherExitCode ExitCode { get; }
}
