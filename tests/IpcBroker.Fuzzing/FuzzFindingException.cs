namespace IpcBroker.Fuzzing;

/// <summary>
/// Thrown by a fuzz target when the code under test returned normally but broke one of its own promises (a bundle that
/// does not survive re-encoding, a verdict accepted that said no). Escapes the target, so AFL records a crash.
/// </summary>
/// <param name="message">What was broken.</param>
public sealed class FuzzFindingException(string message) : Exception(message)
{
}
