using System.Text.Json.Nodes;
using IpcBroker.Protocol;

namespace IpcBroker.Tests;

public class BundleTests
{
    [Fact]
    public void TypedGettersReturnDefaultsForMissingKeysAndOtherKinds()
    {
        Bundle bundle = new Bundle().PutInt("n", 5).PutLong("l", 6);
        Assert.Equal(5, bundle.GetInt("n"));
        Assert.Equal(0L, bundle.GetLong("n"));
        Assert.Equal(-1, bundle.GetInt("l", -1));
        Assert.Equal("none", bundle.GetString("missing", "none"));
        Assert.True(bundle.ContainsKey("n"));
        Assert.True(bundle.Remove("n"));
        Assert.False(bundle.ContainsKey("n"));
        Assert.Equal(["l"], bundle.Keys);
    }

    [Fact]
    public void KeysKeepInsertionOrder()
    {
        Bundle bundle = new Bundle().PutInt("z", 1).PutInt("a", 2).PutInt("m", 3).PutInt("z", 4);
        Assert.Equal(["z", "a", "m"], bundle.Keys);
        Assert.Equal(4, bundle.GetInt("z"));
    }

    [Fact]
    public void EqualityIsDeepKindExactAndOrderInsensitive()
    {
        Assert.Equal(BundleTestData.EveryKind(), BundleTestData.EveryKind());
        Assert.Equal(BundleTestData.EveryKind().GetHashCode(), BundleTestData.EveryKind().GetHashCode());
        Assert.Equal(new Bundle().PutInt("a", 1).PutInt("b", 2), new Bundle().PutInt("b", 2).PutInt("a", 1));
        Assert.NotEqual(new Bundle().PutInt("a", 1), new Bundle().PutLong("a", 1));
        Assert.NotEqual(new Bundle().PutIntArray("a", []), new Bundle().PutLongArray("a", []));
        Assert.NotEqual(new Bundle().PutBundle("a", new Bundle().PutInt("x", 1)), new Bundle().PutBundle("a", new Bundle().PutInt("x", 2)));
    }

    [Fact]
    public void EveryKindRoundTripsWithItsExactType()
    {
        Bundle original = BundleTestData.EveryKind();
        Bundle decoded = BundleCodec.Decode(BundleCodec.Encode(original, BundleLimits.Default), BundleLimits.Default);

        Assert.Equal(original, decoded);
        Assert.Equal(original.Keys, decoded.Keys);
        foreach (string key in original.Keys)
        {
            Assert.True(original.TryGetKind(key, out BundleValueKind expected));
            Assert.True(decoded.TryGetKind(key, out BundleValueKind actual));
            Assert.Equal(expected, actual);
        }

        Assert.Equal(BundleValueKind.Int, Kind(decoded, "int"));
        Assert.Equal(BundleValueKind.Long, Kind(decoded, "long"));
        Assert.Equal(BundleValueKind.IntArray, Kind(decoded, "emptyInts"));
        Assert.Equal(BundleValueKind.Null, Kind(decoded, "null"));
        Assert.True(double.IsNaN(decoded.GetDoubleArray("doubles")![0]));
    }

    [Fact]
    public void EncodeRefusesTooDeepNamingTheLimit()
    {
        Bundle deep = new();
        for (int i = 0; i < 5; i++)
        {
            deep = new Bundle().PutBundle("child", deep);
        }

        var limits = new BundleLimits { MaxDepth = 5 };
        var ex = Assert.Throws<BundleLimitExceededException>(() => BundleCodec.Encode(deep, limits));
        Assert.Equal("MaxDepth", ex.LimitName);
        Assert.Contains("MaxDepth", ex.Message);
    }

    [Fact]
    public void EncodeRefusesTooManyEntriesNamingTheLimit()
    {
        var ex = Assert.Throws<BundleLimitExceededException>(() => BundleCodec.Encode(new Bundle().PutIntArray("a", new int[11]), new BundleLimits { MaxEntries = 10 }));
        Assert.Equal("MaxEntries", ex.LimitName);
    }

    [Fact]
    public void EncodeRefusesTooManyBytesNamingTheLimit()
    {
        var ex = Assert.Throws<BundleLimitExceededException>(() => BundleCodec.Encode(new Bundle().PutByteArray("a", new byte[2000]), new BundleLimits { MaxBytes = 1000 }));
        Assert.Equal("MaxBytes", ex.LimitName);
    }

    [Fact]
    public void DecodeEnforcesLimitsIndependentlyOfTheSender()
    {
        byte[] bytes = BundleCodec.Encode(new Bundle().PutBundle("a", new Bundle().PutBundle("b", new Bundle())), BundleLimits.Default);
        Assert.Equal("MaxDepth", Assert.Throws<BundleLimitExceededException>(() => BundleCodec.Decode(bytes, new BundleLimits { MaxDepth = 2 })).LimitName);
        Assert.Equal("MaxEntries", Assert.Throws<BundleLimitExceededException>(() => BundleCodec.Decode(bytes, new BundleLimits { MaxEntries = 1 })).LimitName);
        Assert.Equal("MaxBytes", Assert.Throws<BundleLimitExceededException>(() => BundleCodec.Decode(bytes, new BundleLimits { MaxBytes = 3 })).LimitName);
    }

    [Theory]
    [InlineData(new byte[] { 0xc1 })] // never-used MessagePack byte
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x03 })] // truncated: [kind=int] without a value
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x63, 0x01 })] // unknown kind 99
    [InlineData(new byte[] { 0x82, 0xa1, 0x61, 0x92, 0x00, 0xc0, 0xa1, 0x61, 0x92, 0x00, 0xc0 })] // duplicate key
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x08, 0xdd, 0x7f, 0xff, 0xff, 0xff })] // int array declaring 2^31-1 elements
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x03, 0xa1, 0x78 })] // kind int holding a string
    [InlineData(new byte[] { 0x80, 0x00 })] // trailing bytes
    public void DecodeRefusesMalformedInputWithFormatException(byte[] bytes)
    {
        var ex = Assert.ThrowsAny<Exception>(() => BundleCodec.Decode(bytes, BundleLimits.Default));
        Assert.True(ex is FormatException or BundleLimitExceededException, ex.ToString());
    }

    /// <summary>
    /// Found by fuzzing (corpus/bundle/regressions/): MessagePack reads a str32 or bin32 length as a signed int, so a
    /// length of 2^31 or more threw ArgumentOutOfRangeException out of the codec instead of its FormatException.
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0x81, 0xdb, 0x80, 0x00, 0x00, 0x00 })] // a key: str32 of 2^31 bytes
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff })] // a String: str32 of 2^32-1 bytes
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x06, 0xc6, 0x80, 0x00, 0x00, 0x00 })] // a ByteArray: bin32 of 2^31 bytes
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x07, 0x91, 0xdb, 0xce, 0x10, 0x00, 0x00 })] // a StringArray element
    [InlineData(new byte[] { 0x81, 0xa1, 0x61, 0x92, 0x01, 0xdb, 0x00, 0x00, 0x01, 0x00, 0x61 })] // str32 of 256 bytes, 1 there
    public void DecodeRefusesAStringOrBinaryLongerThanTheBytesLeft(byte[] bytes)
    {
        Assert.Throws<FormatException>(() => BundleCodec.Decode(bytes, BundleLimits.Default));
    }

    [Fact]
    public void JsonConversionMapsNumbersArraysAndObjects()
    {
        JsonObject json = JsonNode.Parse("""{"s":"x","i":1,"l":5000000000,"d":1.5,"b":true,"n":null,"ia":[1,2],"la":[1,5000000000],"da":[1,2.5],"sa":["a",null],"e":[],"o":{"k":"v"},"oa":[{"a":1}]}""")!.AsObject();
        Bundle bundle = json.ToBundle();

        Assert.Equal(BundleValueKind.Int, Kind(bundle, "i"));
        Assert.Equal(BundleValueKind.Long, Kind(bundle, "l"));
        Assert.Equal(BundleValueKind.Double, Kind(bundle, "d"));
        Assert.Equal(BundleValueKind.IntArray, Kind(bundle, "ia"));
        Assert.Equal(BundleValueKind.LongArray, Kind(bundle, "la"));
        Assert.Equal(BundleValueKind.DoubleArray, Kind(bundle, "da"));
        Assert.Equal(BundleValueKind.StringArray, Kind(bundle, "sa"));
        Assert.Equal(BundleValueKind.StringArray, Kind(bundle, "e"));
        Assert.Equal(BundleValueKind.Null, Kind(bundle, "n"));
        Assert.Equal("v", bundle.GetBundle("o")!.GetString("k"));
        Assert.Equal(1, bundle.GetBundleList("oa")![0].GetInt("a"));

        Assert.True(JsonNode.DeepEquals(json, bundle.ToJsonObject()));
    }

    [Fact]
    public void JsonConversionOfBytesIsBase64()
    {
        JsonObject json = new Bundle().PutByteArray("b", [1, 2, 3]).ToJsonObject();
        Assert.Equal("AQID", json["b"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"a":[1,"x"]}""", "$.a")]
    [InlineData("""{"a":[[1]]}""", "$.a[0]")]
    [InlineData("""{"a":{"b":[1,null]}}""", "$.a.b")]
    public void JsonConversionRefusesMixedArraysNamingThePath(string text, string path)
    {
        var ex = Assert.Throws<FormatException>(() => JsonNode.Parse(text)!.AsObject().ToBundle());
        Assert.StartsWith(path, ex.Message);
    }

    [Fact]
    public void ABundleCannotContainItself()
    {
        var bundle = new Bundle();
        Assert.Throws<ArgumentException>(() => bundle.PutBundle("self", bundle));
    }

    private static BundleValueKind Kind(Bundle bundle, string key)
    {
        Assert.True(bundle.TryGetKind(key, out BundleValueKind kind), key);
        return kind;
    }
}
