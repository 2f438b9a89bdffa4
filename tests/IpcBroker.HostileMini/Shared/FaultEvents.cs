namespace IpcBroker.HostileMini;

/// <summary>The events the fault suite, the flood benchmark and the hostile mini process agree on.</summary>
/// <remarks>Compiled into the hostile mini process, the end-to-end tests and the benchmarks from this one file.</remarks>
public static class FaultEvents
{
    /// <summary>A main-side event the host under attack answers at once with <c>{"keys": n}</c>, n the request's entry count.</summary>
    public const string Echo = "fault.echo";

    /// <summary>A mini-side event: the hostile process answers it and then starts its attack.</summary>
    public const string Go = "fault.go";

    /// <summary>A mini-side event the hostile process answers whenever it still reads, to show it is still connected.</summary>
    public const string Ping = "fault.ping";

    /// <summary>The prefix of every line the hostile process writes to its standard error.</summary>
    public const string LogPrefix = "hostile:";
}
