using IpcBroker.Protocol;

namespace IpcBroker.Tests;

/// <summary>Review of issue 11's exact-size encoder: what encoding a large bundle allocates (counted on this thread only).</summary>
public class BundleCodecAllocationReviewTests(ITestOutputHelper output) : TestBase(output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EncodingALargeStringAllocatesLittleBeyondTheEncodedBytes(bool inAnArray)
    {
        string large = new('a', 4 * 1024 * 1024);
        Bundle bundle = inAnArray ? new Bundle().PutStringArray("s", [large, "x"]) : new Bundle().PutString("s", large);
        BundleCodec.Encode(bundle, BundleLimits.Default);

        long before = GC.GetAllocatedBytesForCurrentThread();
        byte[] encoded = BundleCodec.Encode(bundle, BundleLimits.Default);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The encoder measures first so that it writes once into an array of exactly the encoded size; a string must not
        // need a scratch buffer of its worst-case UTF-8 size (3 bytes a character) beside it.
        this.Output.WriteLine($"encoded {encoded.Length} bytes, allocated {allocated}");
        Assert.True(allocated < encoded.Length + (256 * 1024), $"encoding {encoded.Length} bytes allocated {allocated}");
        Assert.Equal(bundle, BundleCodec.Decode(encoded, BundleLimits.Default));
    }
}
