namespace IpcBroker;

/// <summary>Thrown at start-up when a setting cannot work (a pipe path too long, a missing executable).</summary>
/// <param name="message">What is wrong and how to fix it.</param>
public sealed class IpcConfigurationException(string message) : Exception(message)
{
}
