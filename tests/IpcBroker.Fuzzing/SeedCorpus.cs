using System.Buffers;
using System.Buffers.Binary;
using IpcBroker.Protocol;
using IpcBroker.Sessions;
using MessagePack;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace IpcBroker.Fuzzing;

/// <summary>
/// Writes the seed corpus committed under <c>corpus/&lt;target&gt;/</c>: a handful of small valid inputs per target, built
/// by the same code that writes them on the wire, and the edge cases next to them (empty, cut short, lengths at and past
/// the limits).
/// </summary>
public static class SeedCorpus
{
    /// <summary>Gets the seeds of every target: target name → file name → bytes.</summary>
    /// <returns>The seeds.</returns>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, byte[]>> Build() => new Dictionary<string, IReadOnlyDictionary<string, byte[]>>
    {
        ["frame"] = FrameSeeds(),
        ["bundle"] = BundleSeeds(),
        ["handshake"] = HandshakeSeeds(),
    };

    /// <summary>Writes every seed under <paramref name="root"/>, one folder per target, replacing files of the same name.</summary>
    /// <param name="root">The corpus folder.</param>
    public static void Write(string root)
    {
        foreach ((string target, IReadOnlyDictionary<string, byte[]> seeds) in Build())
        {
            string folder = Path.Combine(root, target);
            Directory.CreateDirectory(folder);
            foreach ((string name, byte[] bytes) in seeds)
            {
                File.WriteAllBytes(Path.Combine(folder, name), bytes);
            }
        }
    }

    private static Bundle SmallBundle() => new Bundle()
        .PutNull("n")
        .PutString("s", "héllo")
        .PutBoolean("b", true)
        .PutInt("i", -7)
        .PutLong("l", long.MaxValue)
        .PutDouble("d", double.NaN)
        .PutByteArray("y", [0, 255])
        .PutStringArray("sa", ["a", null])
        .PutIntArray("ia", [int.MinValue])
        .PutLongArray("la", [])
        .PutDoubleArray("da", [-0.0])
        .PutBundle("nested", new Bundle().PutString("k", "v"))
        .PutBundleList("list", [new Bundle().PutInt("x", 1), new Bundle()]);

    private static Dictionary<string, byte[]> BundleSeeds()
    {
        byte[] small = BundleCodec.Encode(SmallBundle(), BundleLimits.Default);
        Bundle deep = new Bundle().PutInt("leaf", 1);
        for (int depth = 1; depth < BundleLimits.Default.MaxDepth; depth++)
        {
            deep = new Bundle().PutBundle("d", deep);
        }

        return new Dictionary<string, byte[]>
        {
            ["empty-input"] = [],
            ["empty-bundle"] = BundleCodec.Encode(new Bundle(), BundleLimits.Default),
            ["every-kind"] = small,
            ["deepest-allowed"] = BundleCodec.Encode(deep, BundleLimits.Default),
            ["one-too-deep"] = BundleCodec.Encode(new Bundle().PutBundle("d", deep), BundleLimits.Default with { MaxDepth = 64 }),
            ["cut-short"] = small[..(small.Length / 2)],
            ["trailing-byte"] = [.. small, 0xC0],

            // { "a": [IntArray, array32 header claiming 4 billion elements] } in a handful of bytes.
            ["huge-array-header"] = [0x81, 0xA1, (byte)'a', 0x92, (byte)BundleValueKind.IntArray, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF],

            // { "a": [String, "\xFF\xFE"] }: a string that is not UTF-8.
            ["not-utf8"] = [0x81, 0xA1, (byte)'a', 0x92, (byte)BundleValueKind.String, 0xA2, 0xFF, 0xFE],

            // { "a": [Int, ext8 type 1 of 1 byte] }: a MessagePack extension where a value belongs.
            ["extension"] = [0x81, 0xA1, (byte)'a', 0x92, (byte)BundleValueKind.Int, 0xD4, 0x01, 0x00],
        };
    }

    private static Dictionary<string, byte[]> FrameSeeds()
    {
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(IpcConnection.SerializerOptions);
        var factory = (IJsonRpcMessageFactory)formatter;
        byte[] payload = BundleCodec.Encode(SmallBundle(), BundleLimits.Default);

        JsonRpcRequest call = factory.CreateRequestMessage();
        call.RequestId = new RequestId(1);
        call.Method = IpcConnection.CallMethod;
        call.ArgumentsList = ["app.echo", 5000, payload, 0UL];

        JsonRpcRequest channelCall = factory.CreateRequestMessage();
        channelCall.RequestId = new RequestId(2);
        channelCall.Method = IpcConnection.CallMethod;
        channelCall.ArgumentsList = ["app.upload", 60_000, null, 3UL];

        JsonRpcRequest cancel = factory.CreateRequestMessage();
        cancel.Method = "$/cancelRequest";
        cancel.NamedArguments = new Dictionary<string, object?> { ["id"] = 1 };

        JsonRpcResult result = factory.CreateResultMessage();
        result.RequestId = new RequestId(1);
        result.Result = new CallReply(0, null, payload);
        result.ResultDeclaredType = typeof(CallReply);

        JsonRpcResult refused = factory.CreateResultMessage();
        refused.RequestId = new RequestId(2);
        refused.Result = new CallReply((int)IpcErrorCode.LimitsExceeded, "too large", null, 0);
        refused.ResultDeclaredType = typeof(CallReply);

        JsonRpcError error = factory.CreateErrorMessage();
        error.RequestId = new RequestId(3);
        error.Error = new JsonRpcError.ErrorDetail { Code = JsonRpcErrorCode.MethodNotFound, Message = "No such method." };

        byte[] callFrame = Frame(formatter, call);
        return new Dictionary<string, byte[]>
        {
            ["empty-input"] = [],
            ["call-inline"] = callFrame,
            ["call-on-channel"] = Frame(formatter, channelCall),
            ["cancel"] = Frame(formatter, cancel),
            ["result"] = Frame(formatter, result),
            ["result-refused"] = Frame(formatter, refused),
            ["error"] = Frame(formatter, error),
            ["two-messages"] = [.. callFrame, .. Frame(formatter, result)],
            ["header-only"] = callFrame[..4],
            ["cut-short"] = callFrame[..(callFrame.Length - 1)],
            ["zero-length"] = [0, 0, 0, 0],
            ["negative-length"] = [0xFF, 0xFF, 0xFF, 0xFF],
            ["length-past-cap"] = Header(FrameReaderTarget.MaxMessageBytes + 1),
            ["not-messagepack"] = [.. Header(3), 0xC1, 0xC1, 0xC1],
        };
    }

    private static Dictionary<string, byte[]> HandshakeSeeds()
    {
        static byte[] Hello(int version, int secretLength)
        {
            byte[] hello = new byte[7 + secretLength];
            "IPCB"u8.CopyTo(hello);
            BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(4), (ushort)version);
            hello[6] = (byte)secretLength;
            for (int i = 0; i < secretLength; i++)
            {
                hello[7 + i] = (byte)(i * 37);
            }

            return hello;
        }

        static byte[] Verdict(HandshakeStatus status, string message, int? declaredLength = null)
        {
            byte[] text = System.Text.Encoding.UTF8.GetBytes(message);
            byte[] verdict = new byte[5 + text.Length];
            verdict[0] = (byte)status;
            BinaryPrimitives.WriteUInt16BigEndian(verdict.AsSpan(1), Handshake.ProtocolVersion);
            BinaryPrimitives.WriteUInt16BigEndian(verdict.AsSpan(3), (ushort)(declaredLength ?? text.Length));
            text.CopyTo(verdict, 5);
            return verdict;
        }

        return new Dictionary<string, byte[]>
        {
            ["empty-input"] = [],
            ["hello"] = Hello(Handshake.ProtocolVersion, Handshake.SecretBytes),
            ["hello-shortest-secret"] = Hello(Handshake.ProtocolVersion, 16),
            ["hello-longest-secret"] = Hello(ushort.MaxValue, 64),
            ["hello-secret-too-short"] = Hello(Handshake.ProtocolVersion, 15),
            ["hello-cut-short"] = Hello(Handshake.ProtocolVersion, Handshake.SecretBytes)[..20],
            ["hello-bad-magic"] = [.. "IPCX"u8, .. Hello(Handshake.ProtocolVersion, 16).AsSpan(4)],
            ["verdict-accepted"] = Verdict(HandshakeStatus.Accepted, "accepted"),
            ["verdict-denied"] = Verdict(HandshakeStatus.Denied, "denied"),
            ["verdict-unknown-status"] = Verdict((HandshakeStatus)9, "?"),
            ["verdict-message-too-long"] = Verdict(HandshakeStatus.Denied, "x", Handshake.MaxMessageBytes + 1),
            ["verdict-cut-short"] = Verdict(HandshakeStatus.Accepted, "accepted")[..7],
        };
    }

    private static byte[] Frame(MessagePackFormatter formatter, JsonRpcMessage message)
    {
        var body = new Sequence<byte>();
        formatter.Serialize(body, message);
        return [.. Header(checked((int)body.Length)), .. body.AsReadOnlySequence.ToArray()];
    }

    private static byte[] Header(int length)
    {
        byte[] header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, length);
        return header;
    }
}
