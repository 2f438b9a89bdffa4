namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The fault suite runs alone, after the other tests: it measures the test process's memory (the host runs in it), and
/// its attacks would load the machine under the other tests' budgets.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Fault";
}
