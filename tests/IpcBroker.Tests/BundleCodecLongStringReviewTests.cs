using System.Buffers;
using IpcBroker.Protocol;
using MessagePack;

namespace IpcBroker.Tests;

/// <summary>Review of the long-string path of <see cref="BundleCodec"/> (strings over 1,024 characters, encoded straight into their measured room).</summary>
public class BundleCodecLongStringReviewTests(ITestOutputHelper output) : TestBase(output)
{
    public static TheoryData<int, int> Strings()
    {
        var data = new TheoryData<int, int>();
        foreach (int chars in new[] { 1024, 1025, 21_845, 21_846, 32_767, 32_768, 65_535, 65_536, 70_000 })
        {
            for (int shape = 0; shape < 6; shape++)
            {
                data.Add(shape, chars);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Strings))]
    public void ALongStringIsEncodedAsMessagePacksOwnWriterEncodesIt(int shape, int chars)
    {
        string value = shape switch
        {
            0 => new string('a', chars),
            1 => new string('\u20AC', chars), // 3 bytes a character: the str16/str32 boundary at 21,845/21,846
            2 => new string('\uD800', chars), // lone high surrogates: each becomes U+FFFD (3 bytes)
            3 => new string('\uDC00', chars), // lone low surrogates
            4 => string.Concat(Enumerable.Repeat("\uD83D\uDE00", chars / 2)) + (chars % 2 == 1 ? "\uD83D" : string.Empty), // pairs, then a lone one
            _ => string.Concat(Enumerable.Repeat("\uDE00\uD83D", chars / 2)), // reversed pairs: all lone
        };
        var bundle = new Bundle().PutString("s", value);
        byte[] encoded = BundleCodec.Encode(bundle, BundleLimits.Default);

        Assert.Equal(encoded.Length, BundleCodec.GetEncodedSize(bundle, BundleLimits.Default));
        var reference = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(reference);
        writer.Write(value);
        writer.Flush();

        // fixmap(1), fixstr "s", fixarray(2), the kind, then the string as MessagePack's own writer writes it.
        Assert.True(reference.WrittenSpan.SequenceEqual(encoded.AsSpan(5)), "the bytes differ from MessagePackWriter.Write(string)'s");
        string expected = System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(value));
        Assert.Equal(expected, BundleCodec.Decode(encoded, BundleLimits.Default).GetString("s"));

        var array = new Bundle().PutStringArray("a", [value, null, value]).PutString("after", "x");
        byte[] encodedArray = BundleCodec.Encode(array, BundleLimits.Default);
        Assert.Equal(encodedArray.Length, BundleCodec.GetEncodedSize(array, BundleLimits.Default));
        Bundle decoded = BundleCodec.Decode(encodedArray, BundleLimits.Default);
        Assert.Equal(new string?[] { expected, null, expected }, decoded.GetStringArray("a"));
        Assert.Equal("x", decoded.GetString("after"));
    }
}
