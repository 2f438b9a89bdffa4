using BenchmarkDotNet.Attributes;
using IpcBroker.Protocol;

namespace IpcBroker.Benchmarks.Micro;

/// <summary>Encoding and decoding the 5-key bundle with the broker's codec, under the default limits.</summary>
public class BundleCodecBenchmarks
{
    private readonly Bundle bundle = MicroPayload.Create();
    private readonly byte[] encoded = BundleCodec.Encode(MicroPayload.Create(), BundleLimits.Default);

    /// <summary>Encode.</summary>
    /// <returns>The bytes.</returns>
    [Benchmark]
    public byte[] Encode() => BundleCodec.Encode(this.bundle, BundleLimits.Default);

    /// <summary>Decode.</summary>
    /// <returns>The bundle.</returns>
    [Benchmark]
    public Bundle Decode() => BundleCodec.Decode(this.encoded, BundleLimits.Default);
}
