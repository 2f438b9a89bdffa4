using System.Buffers;
using MessagePack;

namespace IpcBroker.HostileMini;

/// <summary>Encoded bundles (docs/protocol.md section 5) that break a receiver's limits or the format on purpose.</summary>
internal static class HostileBundles
{
    /// <summary>Gets the bundle for the attack named <paramref name="name"/>, or null for an unknown name.</summary>
    public static byte[]? For(string name, int count) => name switch
    {
        "bundle-deep" => Deep(count > 0 ? count : 10_000),
        "bundle-keys" => ManyKeys(count > 0 ? count : 100_000),
        "bundle-huge-array" => HugeArrayHeader(),
        "bundle-bad-utf8" => NotUtf8(),
        "bundle-ext" => Extension(),
        _ => null,
    };

    /// <summary>A small valid bundle: <c>{"n": [3, 1]}</c>.</summary>
    public static byte[] Small() => Write((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(1);
        w.Write("n");
        w.WriteArrayHeader(2);
        w.Write(3);
        w.Write(1);
    });

    /// <summary><c>{"a": [11, {"a": [11, …]}]}</c> nested <paramref name="depth"/> deep (about 5 bytes a level).</summary>
    private static byte[] Deep(int depth) => Write((ref MessagePackWriter w) =>
    {
        for (int i = 0; i < depth; i++)
        {
            w.WriteMapHeader(1);
            w.Write("a");
            w.WriteArrayHeader(2);
            w.Write(11);
        }

        w.WriteMapHeader(0);
    });

    /// <summary>A flat bundle of <paramref name="keys"/> Int entries (about 1 MiB for 100,000: it travels on a channel).</summary>
    private static byte[] ManyKeys(int keys) => Write((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(keys);
        for (int i = 0; i < keys; i++)
        {
            w.Write("k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteArrayHeader(2);
            w.Write(3);
            w.Write(i);
        }
    });

    /// <summary>20 bytes: <c>{"a": [7, array32 of 4,294,967,295 strings]}</c> followed by ten nils.</summary>
    private static byte[] HugeArrayHeader() => Write((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(1);
        w.Write("a");
        w.WriteArrayHeader(2);
        w.Write(7);
        w.WriteRaw([0xdd, 0xff, 0xff, 0xff, 0xff]);
        for (int i = 0; i < 10; i++)
        {
            w.WriteNil();
        }
    });

    /// <summary>A key and a String value whose bytes are not UTF-8 (a lone 0xFF, a truncated sequence, an overlong encoding).</summary>
    private static byte[] NotUtf8() => Write((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(2);
        w.WriteRaw([0xa2, 0xff, 0xfe]);
        w.WriteArrayHeader(2);
        w.Write(1);
        w.WriteRaw([0xa3, 0xc3, 0x28, 0xa0]);
        w.Write("b");
        w.WriteArrayHeader(2);
        w.Write(1);
        w.WriteRaw([0xa2, 0xc0, 0xaf]);
    });

    /// <summary>MessagePack extension types where values belong: a timestamp as a String value, an application extension as a ByteArray.</summary>
    private static byte[] Extension() => Write((ref MessagePackWriter w) =>
    {
        w.WriteMapHeader(2);
        w.Write("t");
        w.WriteArrayHeader(2);
        w.Write(1);
        w.Write(DateTime.UnixEpoch);
        w.Write("x");
        w.WriteArrayHeader(2);
        w.Write(6);
        w.WriteExtensionFormat(new ExtensionResult(42, new byte[] { 1, 2, 3, 4 }));
    });

    private static byte[] Write(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private delegate void WriteAction(ref MessagePackWriter writer);
}
