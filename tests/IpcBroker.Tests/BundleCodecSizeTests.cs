using System.Buffers;
using IpcBroker.Protocol;

namespace IpcBroker.Tests;

/// <summary>
/// The codec measures a bundle before encoding it into an array of exactly that size, decodes from segmented buffers,
/// and its default limit lets a 16 MiB byte array through.
/// </summary>
public class BundleCodecSizeTests(ITestOutputHelper output) : TestBase(output)
{
    public static TheoryData<int> Lengths => [0, 1, 15, 16, 31, 32, 127, 128, 255, 256, 65_535, 65_536, 70_000];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void TheMeasuredSizeIsTheEncodedSizeAtEveryHeaderBoundary(int length)
    {
        var bundle = new Bundle()
            .PutString(new string('k', Math.Min(length, 300) + 1), new string('s', length))
            .PutString("unicode", new string('é', length))
            .PutByteArray("bytes", new byte[length])
            .PutStringArray("strings", Enumerable.Range(0, length).Select(i => i % 3 == 0 ? null : i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray())
            .PutIntArray("ints", Enumerable.Range(-length, length).ToArray())
            .PutLongArray("longs", Enumerable.Range(0, length).Select(i => (long)i << (i % 63)).ToArray())
            .PutDoubleArray("doubles", new double[length])
            .PutBundleList("list", Enumerable.Range(0, Math.Min(length, 20)).Select(i => new Bundle().PutInt("i", i)));
        Bundle wide = new();
        for (int i = 0; i < Math.Min(length, 70_000); i++)
        {
            wide.PutNull("n" + i);
        }

        bundle.PutBundle("wide", wide);

        AssertExact(bundle);
    }

    [Fact]
    public void TheMeasuredSizeIsTheEncodedSizeForEveryIntegerForm()
    {
        long[] values = [0, 127, 128, 255, 256, -1, -32, -33, -128, -129, short.MinValue, short.MinValue - 1, ushort.MaxValue, ushort.MaxValue + 1, int.MinValue, int.MaxValue, uint.MaxValue, (long)uint.MaxValue + 1, (long)int.MinValue - 1, long.MinValue, long.MaxValue];
        var bundle = new Bundle().PutBoolean("t", true).PutBoolean("f", false).PutDouble("d", double.NaN).PutNull("null");
        foreach (long value in values)
        {
            bundle.PutLong("l" + value, value);
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                bundle.PutInt("i" + value, (int)value);
            }
        }

        AssertExact(bundle);
    }

    [Fact]
    public void ABundleHoldingA16MiBByteArrayFitsTheDefaultLimit()
    {
        byte[] blob = new byte[16 * 1024 * 1024];
        new Random(3).NextBytes(blob);
        Bundle bundle = new Bundle().PutByteArray("blob", blob).PutString("name", "sixteen").PutInt("n", 16);

        byte[] encoded = BundleCodec.Encode(bundle, BundleLimits.Default);

        Assert.Equal(bundle, BundleCodec.Decode(encoded, BundleLimits.Default));
    }

    [Fact]
    public void DecodingFromSegmentsGivesTheSameBundleWhereverTheBytesAreSplit()
    {
        Bundle bundle = new Bundle().PutString("name", "split").PutByteArray("bytes", [1, 2, 3, 4, 5, 6, 7, 8, 9]).PutIntArray("ints", [1, 1000, -5]).PutBundle("inner", new Bundle().PutDouble("d", 1.5));
        byte[] encoded = BundleCodec.Encode(bundle, BundleLimits.Default);
        for (int split = 1; split < encoded.Length; split++)
        {
            ReadOnlySequence<byte> bytes = Segments.Of(encoded.AsMemory(0, split), encoded.AsMemory(split));
            Assert.Equal(bundle, BundleCodec.Decode(bytes, BundleLimits.Default));
        }
    }

    private static void AssertExact(Bundle bundle)
    {
        var roomy = new BundleLimits { MaxEntries = 1_000_000 };
        byte[] encoded = BundleCodec.Encode(bundle, roomy);
        Assert.Equal(encoded.Length, BundleCodec.GetEncodedSize(bundle, roomy));
        Assert.Equal(bundle, BundleCodec.Decode(encoded, roomy));
    }

    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            this.Memory = memory;
            this.RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Of(ReadOnlyMemory<byte> first, ReadOnlyMemory<byte> second)
        {
            var head = new Segments(first, 0);
            var tail = new Segments(second, first.Length);
            head.Next = tail;
            return new ReadOnlySequence<byte>(head, 0, tail, second.Length);
        }
    }
}
