namespace IpcBroker.Fuzzing;

/// <summary>What a fuzz target's code under test did with an input that did not crash it.</summary>
public enum FuzzOutcome
{
    /// <summary>Refused with one of its documented exceptions.</summary>
    Refused,

    /// <summary>Accepted: decoded, and every check on the result held.</summary>
    Accepted,
}
