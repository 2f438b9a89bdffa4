namespace IpcBroker.Fuzzing;

/// <summary>
/// One fuzz target: consumes <paramref name="input"/> the way the broker consumes bytes from a hostile peer.
/// </summary>
/// <param name="input">The fuzzer's input.</param>
/// <returns>Whether the input was accepted or refused.</returns>
/// <remarks>
/// Returns when the input was accepted or refused with one of the exceptions the code under test documents;
/// any exception that escapes is a finding (SharpFuzz reports it to AFL as a crash).
/// </remarks>
public delegate FuzzOutcome FuzzTarget(ReadOnlySpan<byte> input);
