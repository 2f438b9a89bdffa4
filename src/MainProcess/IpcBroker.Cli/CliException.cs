namespace IpcBroker.MainProcess.Cli;

/// <summary>An error the command line reports as one line on standard error, with a non-zero exit code.</summary>
/// <param name="message">The line.</param>
internal sealed class CliException(string message) : Exception(message)
{
}
