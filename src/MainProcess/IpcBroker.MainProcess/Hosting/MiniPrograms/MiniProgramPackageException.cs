namespace IpcBroker.MainProcess.Hosting.MiniPrograms;

/// <summary>
/// Thrown when a mini program package (a directory with <c>app.json</c> and its scripts) breaks one of the host's rules:
/// the message names the file and the rule.
/// </summary>
/// <param name="message">Which file broke which rule.</param>
public sealed class MiniProgramPackageException(string message) : Exception(message)
{
}
