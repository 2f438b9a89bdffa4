namespace IpcBroker.Tests;

/// <summary>Bundles shared by the unit and end-to-end tests.</summary>
public static class BundleTestData
{
    /// <summary>A bundle with one value of every kind, including empty arrays and nulls.</summary>
    public static Bundle EveryKind() => new Bundle()
        .PutNull("null")
        .PutString("string", "héllo")
        .PutBoolean("bool", true)
        .PutInt("int", 7)
        .PutLong("long", 7L)
        .PutDouble("double", 7.5)
        .PutByteArray("bytes", [1, 2, 255])
        .PutStringArray("strings", ["a", null, "c"])
        .PutIntArray("ints", [int.MinValue, 0, int.MaxValue])
        .PutLongArray("longs", [long.MinValue, 1])
        .PutDoubleArray("doubles", [double.NaN, -0.0, 1e300])
        .PutIntArray("emptyInts", [])
        .PutStringArray("emptyStrings", [])
        .PutBundle("nested", new Bundle().PutString("k", "v"))
        .PutBundleList("list", [new Bundle().PutInt("i", 1), new Bundle()]);
}
