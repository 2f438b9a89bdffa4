namespace IpcBroker.MainProcess.Hosting;

/// <summary>Thrown when a mini program's process could not be started or did not connect in time.</summary>
/// <param name="message">What happened, with the process's exit code and last error lines when known.</param>
public sealed class MiniAppStartException(string message) : Exception(message)
{
}
