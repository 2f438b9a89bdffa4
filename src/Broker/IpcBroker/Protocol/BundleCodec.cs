using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using MessagePack;

namespace IpcBroker.Protocol;

/// <summary>
/// Encodes a <see cref="Bundle"/> to MessagePack and back, keeping every value's exact kind, and enforcing
/// <see cref="BundleLimits"/> on both ends.
/// </summary>
/// <remarks>
/// <para>Wire form: a bundle is a MessagePack map of string keys in bundle order; each value is a two-element array
/// <c>[kind, value]</c> where <c>kind</c> is the <see cref="BundleValueKind"/> number. Arrays are MessagePack arrays,
/// byte arrays are <c>bin</c>, a bundle list is an array of bundle maps. The kind tag is there because MessagePack
/// itself writes the smallest integer encoding and so cannot tell an int from a long.</para>
/// <para>Decoding reads straight from the bytes it is given and never trusts a declared count: every array or map
/// length is checked against the entries still allowed and the bytes left before anything is allocated.</para>
/// </remarks>
internal static class BundleCodec
{
    /// <summary>Strings longer than this (in characters) are encoded by <see cref="WriteString"/> itself.</summary>
    private const int LongStringCharacters = 1024;

    /// <summary>Encodes <paramref name="bundle"/>.</summary>
    /// <param name="bundle">The bundle; null encodes as an empty bundle.</param>
    /// <param name="limits">The limits to enforce.</param>
    /// <returns>The encoded bytes.</returns>
    /// <exception cref="BundleLimitExceededException">When the bundle is deeper, has more entries or is larger than allowed.</exception>
    public static byte[] Encode(Bundle? bundle, BundleLimits limits)
    {
        bundle ??= new Bundle();

        // Measured first, so that a bundle over the limit is refused before anything is allocated for it, and the bytes
        // are written once into an array of exactly their size: a growing buffer would copy a large byte array several
        // times over as it doubled, then once more to trim.
        long size = GetEncodedSize(bundle, limits);
        if (size > limits.MaxBytes)
        {
            throw new BundleLimitExceededException(nameof(BundleLimits.MaxBytes), limits.MaxBytes, $"the bundle encodes to {size} bytes");
        }

        var buffer = new ExactBufferWriter((int)size);
        var writer = new MessagePackWriter(buffer);
        int entries = 0;
        WriteBundle(ref writer, bundle, limits, depth: 1, ref entries);
        writer.Flush();
        return buffer.ToArray();
    }

    /// <summary>Gets the number of bytes <see cref="Encode"/> writes for <paramref name="bundle"/>, without encoding it.</summary>
    /// <param name="bundle">The bundle.</param>
    /// <param name="limits">The depth and entry limits to enforce while walking it (the size is not checked here).</param>
    /// <returns>The encoded size.</returns>
    /// <exception cref="BundleLimitExceededException">When the bundle is deeper or has more entries than allowed.</exception>
    public static long GetEncodedSize(Bundle bundle, BundleLimits limits)
    {
        int entries = 0;
        return MeasureBundle(bundle, limits, depth: 1, ref entries);
    }

    /// <summary>Decodes a bundle.</summary>
    /// <param name="bytes">The encoded bytes.</param>
    /// <param name="limits">The limits to enforce.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="BundleLimitExceededException">When a limit is exceeded.</exception>
    /// <exception cref="FormatException">When the bytes are not a well-formed bundle.</exception>
    public static Bundle Decode(ReadOnlyMemory<byte> bytes, BundleLimits limits) => Decode(new ReadOnlySequence<byte>(bytes), limits);

    /// <summary>Decodes a bundle from bytes held in segments (a payload received on a channel, in pooled buffers).</summary>
    /// <param name="bytes">The encoded bytes; nothing decoded refers to them afterwards (byte arrays are copied out).</param>
    /// <param name="limits">The limits to enforce.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="BundleLimitExceededException">When a limit is exceeded.</exception>
    /// <exception cref="FormatException">When the bytes are not a well-formed bundle.</exception>
    public static Bundle Decode(ReadOnlySequence<byte> bytes, BundleLimits limits)
    {
        if (bytes.Length > limits.MaxBytes)
        {
            throw new BundleLimitExceededException(nameof(BundleLimits.MaxBytes), limits.MaxBytes, $"the bundle is {bytes.Length} bytes");
        }

        if (bytes.IsEmpty)
        {
            return new Bundle();
        }

        var reader = new MessagePackReader(bytes);
        int entries = 0;
        try
        {
            Bundle bundle = ReadBundle(ref reader, limits, depth: 1, ref entries);
            if (!reader.End)
            {
                throw new FormatException("Malformed bundle: bytes follow its end.");
            }

            return bundle;
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidCastException)
        {
            throw new FormatException("Malformed bundle: " + ex.Message, ex);
        }
    }

    private static long MeasureBundle(Bundle bundle, BundleLimits limits, int depth, ref int entries)
    {
        CheckDepth(depth, limits);
        CountEntries(ref entries, bundle.Count, limits);
        long size = HeaderSize(bundle.Count);
        foreach (KeyValuePair<string, object?> entry in bundle.Entries())
        {
            BundleValueKind kind = Bundle.KindOf(entry.Value);

            // The key, the [kind, value] array header (fixarray: 1 byte) and the kind (a positive fixint: 1 byte).
            size += StringSize(entry.Key) + 2;
            size += kind switch
            {
                BundleValueKind.Null => 1,
                BundleValueKind.String => StringSize((string)entry.Value!),
                BundleValueKind.Boolean => 1,
                BundleValueKind.Int => IntegerSize((int)entry.Value!),
                BundleValueKind.Long => IntegerSize((long)entry.Value!),
                BundleValueKind.Double => 9,
                BundleValueKind.ByteArray => BlobSize(((byte[])entry.Value!).Length),
                BundleValueKind.StringArray => MeasureArray((string?[])entry.Value!, limits, ref entries, static v => v is null ? 1 : StringSize(v)),
                BundleValueKind.IntArray => MeasureArray((int[])entry.Value!, limits, ref entries, static v => IntegerSize(v)),
                BundleValueKind.LongArray => MeasureArray((long[])entry.Value!, limits, ref entries, IntegerSize),
                BundleValueKind.DoubleArray => MeasureArray((double[])entry.Value!, limits, ref entries, static _ => 9),
                BundleValueKind.Bundle => MeasureBundle((Bundle)entry.Value!, limits, depth + 1, ref entries),
                BundleValueKind.BundleList => MeasureBundleList((IReadOnlyList<Bundle>)entry.Value!, limits, depth, ref entries),
                _ => throw new InvalidOperationException($"Unknown bundle value kind {kind}."),
            };
        }

        return size;
    }

    private static long MeasureBundleList(IReadOnlyList<Bundle> list, BundleLimits limits, int depth, ref int entries)
    {
        CountEntries(ref entries, list.Count, limits);
        long size = HeaderSize(list.Count);
        foreach (Bundle item in list)
        {
            size += MeasureBundle(item, limits, depth + 1, ref entries);
        }

        return size;
    }

    private static long MeasureArray<T>(T[] array, BundleLimits limits, ref int entries, Func<T, long> measure)
    {
        CountEntries(ref entries, array.Length, limits);
        long size = HeaderSize(array.Length);
        foreach (T item in array)
        {
            size += measure(item);
        }

        return size;
    }

    /// <summary>The size of a map or array header: fixmap/fixarray up to 15 elements, then the 16- and 32-bit forms.</summary>
    private static long HeaderSize(int count) => count <= 15 ? 1 : count <= ushort.MaxValue ? 3 : 5;

    /// <summary>The size of a string as MessagePack's writer writes it: fixstr up to 31 bytes, then str8, str16, str32.</summary>
    private static long StringSize(string value)
    {
        long length = Encoding.UTF8.GetByteCount(value);
        return length + (length <= 31 ? 1 : length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5);
    }

    /// <summary>The size of a byte array: bin8, bin16 or bin32.</summary>
    private static long BlobSize(int length) => length + (length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5);

    /// <summary>The size of an integer as MessagePack's writer writes it: the smallest form that holds the value.</summary>
    private static long IntegerSize(long value) => value switch
    {
        >= 0 and <= 127 => 1,
        >= -32 and < 0 => 1,
        >= sbyte.MinValue and <= byte.MaxValue => 2,
        >= short.MinValue and <= ushort.MaxValue => 3,
        >= int.MinValue and <= uint.MaxValue => 5,
        _ => 9,
    };

    private static void WriteBundle(ref MessagePackWriter writer, Bundle bundle, BundleLimits limits, int depth, ref int entries)
    {
        CheckDepth(depth, limits);
        CountEntries(ref entries, bundle.Count, limits);
        writer.WriteMapHeader(bundle.Count);
        foreach (KeyValuePair<string, object?> entry in bundle.Entries())
        {
            writer.Write(entry.Key);
            BundleValueKind kind = Bundle.KindOf(entry.Value);
            writer.WriteArrayHeader(2);
            writer.Write((byte)kind);
            switch (kind)
            {
                case BundleValueKind.Null: writer.WriteNil(); break;
                case BundleValueKind.String: WriteString(ref writer, (string)entry.Value!); break;
                case BundleValueKind.Boolean: writer.Write((bool)entry.Value!); break;
                case BundleValueKind.Int: writer.Write((int)entry.Value!); break;
                case BundleValueKind.Long: writer.Write((long)entry.Value!); break;
                case BundleValueKind.Double: writer.Write((double)entry.Value!); break;
                case BundleValueKind.ByteArray: writer.Write((byte[])entry.Value!); break;
                case BundleValueKind.StringArray: WriteArray(ref writer, (string?[])entry.Value!, limits, ref entries, static (ref MessagePackWriter w, string? v) => WriteString(ref w, v)); break;
                case BundleValueKind.IntArray: WriteArray(ref writer, (int[])entry.Value!, limits, ref entries, static (ref MessagePackWriter w, int v) => w.Write(v)); break;
                case BundleValueKind.LongArray: WriteArray(ref writer, (long[])entry.Value!, limits, ref entries, static (ref MessagePackWriter w, long v) => w.Write(v)); break;
                case BundleValueKind.DoubleArray: WriteArray(ref writer, (double[])entry.Value!, limits, ref entries, static (ref MessagePackWriter w, double v) => w.Write(v)); break;
                case BundleValueKind.Bundle:
                    WriteBundle(ref writer, (Bundle)entry.Value!, limits, depth + 1, ref entries);
                    break;
                case BundleValueKind.BundleList:
                    IReadOnlyList<Bundle> list = (IReadOnlyList<Bundle>)entry.Value!;
                    CountEntries(ref entries, list.Count, limits);
                    writer.WriteArrayHeader(list.Count);
                    foreach (Bundle item in list)
                    {
                        WriteBundle(ref writer, item, limits, depth + 1, ref entries);
                    }

                    break;
            }
        }
    }

    private static Bundle ReadBundle(ref MessagePackReader reader, BundleLimits limits, int depth, ref int entries)
    {
        CheckDepth(depth, limits);
        int count = reader.ReadMapHeader();
        CountEntries(ref entries, count, limits);
        CheckRemaining(ref reader, count);
        var bundle = new Bundle(count);
        for (int i = 0; i < count; i++)
        {
            string key = ReadString(ref reader) ?? throw new FormatException("Malformed bundle: a key is null.");
            if (bundle.ContainsKey(key))
            {
                throw new FormatException($"Malformed bundle: the key '{key}' appears twice.");
            }

            if (reader.ReadArrayHeader() != 2)
            {
                throw new FormatException($"Malformed bundle: the value of '{key}' is not a [kind, value] pair.");
            }

            var kind = (BundleValueKind)reader.ReadByte();
            object? value = kind switch
            {
                BundleValueKind.Null => ReadNil(ref reader),
                BundleValueKind.String => ReadString(ref reader) ?? throw new FormatException($"Malformed bundle: '{key}' is a null string; null has its own kind."),
                BundleValueKind.Boolean => reader.ReadBoolean(),
                BundleValueKind.Int => reader.ReadInt32(),
                BundleValueKind.Long => reader.ReadInt64(),
                BundleValueKind.Double => reader.ReadDouble(),
                BundleValueKind.ByteArray => ReadBytes(ref reader)?.ToArray() ?? throw new FormatException($"Malformed bundle: '{key}' is a null byte array."),
                BundleValueKind.StringArray => ReadArray(ref reader, limits, ref entries, static (ref MessagePackReader r) => ReadString(ref r)),
                BundleValueKind.IntArray => ReadArray(ref reader, limits, ref entries, static (ref MessagePackReader r) => r.ReadInt32()),
                BundleValueKind.LongArray => ReadArray(ref reader, limits, ref entries, static (ref MessagePackReader r) => r.ReadInt64()),
                BundleValueKind.DoubleArray => ReadArray(ref reader, limits, ref entries, static (ref MessagePackReader r) => r.ReadDouble()),
                BundleValueKind.Bundle => ReadBundle(ref reader, limits, depth + 1, ref entries),
                BundleValueKind.BundleList => ReadBundleList(ref reader, limits, depth, ref entries),
                _ => throw new FormatException($"Malformed bundle: '{key}' has unknown kind {(byte)kind}."),
            };
            bundle.SetRaw(key, value);
        }

        return bundle;
    }

    private delegate T ElementReader<T>(ref MessagePackReader reader);

    private delegate void ElementWriter<T>(ref MessagePackWriter writer, T value);

    /// <summary>
    /// Writes a string as <c>MessagePackWriter.Write(string)</c> does; a long one is encoded straight into the room
    /// its measured size takes, since the writer's own path first asks for its worst case (3 bytes a character), which
    /// the exact-size buffer can only serve from a scratch array.
    /// </summary>
    private static void WriteString(ref MessagePackWriter writer, string? value)
    {
        if (value is null || value.Length <= LongStringCharacters)
        {
            writer.Write(value);
            return;
        }

        int byteCount = Encoding.UTF8.GetByteCount(value);
        writer.WriteStringHeader(byteCount);
        Span<byte> room = writer.GetSpan(byteCount);
        writer.Advance(Encoding.UTF8.GetBytes(value, room));
    }

    private static void WriteArray<T>(ref MessagePackWriter writer, T[] array, BundleLimits limits, ref int entries, ElementWriter<T> write)
    {
        CountEntries(ref entries, array.Length, limits);
        writer.WriteArrayHeader(array.Length);
        foreach (T item in array)
        {
            write(ref writer, item);
        }
    }

    private static T[] ReadArray<T>(ref MessagePackReader reader, BundleLimits limits, ref int entries, ElementReader<T> read)
    {
        int count = reader.ReadArrayHeader();
        CountEntries(ref entries, count, limits);
        CheckRemaining(ref reader, count);
        var array = new T[count];
        for (int i = 0; i < count; i++)
        {
            array[i] = read(ref reader);
        }

        return array;
    }

    private static IReadOnlyList<Bundle> ReadBundleList(ref MessagePackReader reader, BundleLimits limits, int depth, ref int entries)
    {
        int count = reader.ReadArrayHeader();
        CountEntries(ref entries, count, limits);
        CheckRemaining(ref reader, count);
        var list = new Bundle[count];
        for (int i = 0; i < count; i++)
        {
            list[i] = ReadBundle(ref reader, limits, depth + 1, ref entries);
        }

        return list;
    }

    private static string? ReadString(ref MessagePackReader reader)
    {
        CheckBlobLength(ref reader);
        return reader.ReadString();
    }

    private static ReadOnlySequence<byte>? ReadBytes(ref MessagePackReader reader)
    {
        CheckBlobLength(ref reader);
        return reader.ReadBytes();
    }

    /// <summary>
    /// Refuses a str32 or bin32 header whose length exceeds the bytes left. MessagePack reads that length as a signed
    /// int, so from 2^31 up it turns negative and the reader throws <see cref="ArgumentOutOfRangeException"/> rather than
    /// its usual <see cref="EndOfStreamException"/> (found by fuzzing; see tests/IpcBroker.Fuzzing). The shorter forms
    /// cannot go negative.
    /// </summary>
    private static void CheckBlobLength(ref MessagePackReader reader)
    {
        if (reader.End || reader.NextCode is not (MessagePackCode.Str32 or MessagePackCode.Bin32))
        {
            return;
        }

        ReadOnlySequence<byte> rest = reader.Sequence.Slice(reader.Position);
        if (rest.Length < 5)
        {
            return; // The reader itself reports the header cut short.
        }

        Span<byte> header = stackalloc byte[5];
        rest.Slice(0, 5).CopyTo(header);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > rest.Length - 5)
        {
            throw new FormatException($"Malformed bundle: a string or byte array declares {length} bytes but fewer remain.");
        }
    }

    private static object? ReadNil(ref MessagePackReader reader)
    {
        reader.ReadNil();
        return null;
    }

    private static void CheckDepth(int depth, BundleLimits limits)
    {
        if (depth > limits.MaxDepth)
        {
            throw new BundleLimitExceededException(nameof(BundleLimits.MaxDepth), limits.MaxDepth, $"bundles are nested {depth} deep");
        }
    }

    private static void CountEntries(ref int entries, int more, BundleLimits limits)
    {
        entries += more;
        if (entries > limits.MaxEntries || entries < 0)
        {
            throw new BundleLimitExceededException(nameof(BundleLimits.MaxEntries), limits.MaxEntries, "the bundle holds more entries than that");
        }
    }

    /// <summary>Every element takes at least one byte, so a count larger than the bytes left is a lie: refuse it before allocating.</summary>
    private static void CheckRemaining(ref MessagePackReader reader, int count)
    {
        if (count > reader.Sequence.Length - reader.Consumed)
        {
            throw new FormatException($"Malformed bundle: it declares {count} elements but fewer bytes remain.");
        }
    }
}
