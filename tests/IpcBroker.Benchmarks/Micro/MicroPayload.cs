namespace IpcBroker.Benchmarks.Micro;

/// <summary>The payload of "a small call" (the shared decision): the broker's own 5-key bundle.</summary>
internal static class MicroPayload
{
    /// <summary>Builds the bundle: an int, a long, a short string, a bool and a small byte array.</summary>
    /// <returns>A new bundle.</returns>
    public static Bundle Create() => new Bundle()
        .PutInt("i", 42)
        .PutLong("l", 1_234_567_890_123L)
        .PutString("s", "hello, mini")
        .PutBoolean("b", true)
        .PutByteArray("a", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
}
