namespace IpcBroker.OpenApi;

/// <summary>How a mini program's open APIs are served (the SDK's <c>defaultApiLevel(ctx)</c>).</summary>
public enum ApiLevel
{
    /// <summary>Not said: treated as <see cref="V2"/>, the SDK's behaviour since 2.1.0.</summary>
    Undefined = 0,

    /// <summary>The host implements everything itself: its overrides run; an API it did not override is not implemented.</summary>
    V1 = 1,

    /// <summary>The default implementations run for the APIs that have one; the host's overrides serve the others.</summary>
    V2 = 2,

    /// <summary>"Mutual trust": as <see cref="V2"/>, but each default first gets an auth code from the host, which the main process checks.</summary>
    V3 = 3,
}
