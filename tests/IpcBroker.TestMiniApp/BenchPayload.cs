namespace IpcBroker.TestMiniApp;

/// <summary>The benchmark's events and the payload of "a small call", shared by the bench host and this mini program.</summary>
public static class BenchPayload
{
    /// <summary>Answers with the request's bundle (served on both sides: by this mini program and by the bench host).</summary>
    public const string Echo = "bench.echo";

    /// <summary>Makes this mini program call the main process's <see cref="Echo"/> for a while and report its latencies.</summary>
    public const string Drive = "bench.drive";

    /// <summary>
    /// Makes this mini program run an open API through its dispatcher <c>calls</c> times in a row and answer the elapsed
    /// milliseconds (the C# side of the javascript benchmark's round trip).
    /// </summary>
    public const string OpenApiLoop = "bench.openApiLoop";

    /// <summary>
    /// The broker's own 5-key bundle: an int, a long, a short string, a bool and a small byte array; the same bytes for
    /// every stack the benchmark compares.
    /// </summary>
    public static Bundle Small() => new Bundle()
        .PutInt("n", 42)
        .PutLong("at", 638_000_000_000_000_000)
        .PutString("name", "benchmark")
        .PutBoolean("ok", true)
        .PutByteArray("bytes", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

    /// <summary>A bundle of one byte array of <paramref name="bytes"/> bytes (the large-payload figure).</summary>
    public static Bundle Blob(int bytes) => new Bundle().PutByteArray("blob", new byte[bytes]);
}
