namespace IpcBroker.Fuzzing;

/// <summary>The fuzz targets by the name <c>scripts/fuzz.sh</c> and the corpus folders use.</summary>
public static class FuzzTargets
{
    /// <summary>Gets every target by name: <c>frame</c>, <c>bundle</c>, <c>handshake</c>.</summary>
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["frame"] = FrameReaderTarget.Check,
        ["bundle"] = BundleCodecTarget.Check,
        ["handshake"] = HandshakeTarget.Check,
    };
}
