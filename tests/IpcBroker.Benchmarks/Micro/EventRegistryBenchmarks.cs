using BenchmarkDotNet.Attributes;
using IpcBroker.Plugins;

namespace IpcBroker.Benchmarks.Micro;

/// <summary>What every incoming call asks the registry: is the name well formed, and whose handler is it.</summary>
public class EventRegistryBenchmarks
{
    private const string EventId = "OPEN_DATA_IPC_EVENT_GET_USER_ID";
    private readonly IpcEventRegistry registry = new(IpcSide.Main);

    /// <summary>Registers a few events.</summary>
    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < 32; i++)
        {
            this.registry.AddHandler("event." + i, (IpcRequest r) => r.Ok());
        }

        this.registry.AddHandler(EventId, (IpcRequest r) => r.Ok());
    }

    /// <summary>Validates a well-formed name.</summary>
    /// <returns>Whether it is valid.</returns>
    [Benchmark]
    public bool IsValidEventId() => IpcEventRegistry.IsValidEventId(EventId, out _);

    /// <summary>Finds a registered handler.</summary>
    /// <returns>Whether it was found.</returns>
    [Benchmark]
    public bool TryGetHandler() => this.registry.TryGetHandler(EventId, out _);
}
