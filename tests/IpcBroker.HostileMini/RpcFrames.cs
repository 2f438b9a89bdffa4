using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace IpcBroker.HostileMini;

/// <summary>
/// JSON-RPC messages written and read by hand, as docs/protocol.md section 4 describes them: a 4-byte big-endian
/// length, then a MessagePack map. Nothing here checks what it writes: that is the point.
/// </summary>
internal static class RpcFrames
{
    /// <summary>Frames <paramref name="body"/>: its length, big-endian, then the body.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> body) => FrameWithLength(body.Length, body);

    /// <summary>Frames <paramref name="body"/> under a length header that may lie.</summary>
    public static byte[] FrameWithLength(int declaredLength, ReadOnlySpan<byte> body)
    {
        byte[] frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, declaredLength);
        body.CopyTo(frame.AsSpan(4));
        return frame;
    }

    /// <summary>An <c>ipc.call</c> request with well-typed params.</summary>
    public static byte[] Call(long id, string eventId, int timeoutMs, ReadOnlySpan<byte> payload, ulong payloadChannel) =>
        Request(id, "ipc.call", (ref MessagePackWriter w, ReadOnlySpan<byte> p) =>
        {
            w.WriteArrayHeader(4);
            w.Write(eventId);
            w.Write(timeoutMs);
            if (p.IsEmpty)
            {
                w.WriteNil();
            }
            else
            {
                w.Write(p);
            }

            w.Write(payloadChannel);
        }, payload);

    /// <summary>A request for any method with params written by <paramref name="writeParams"/>.</summary>
    public static byte[] Request(long id, string method, ParamsWriter writeParams, ReadOnlySpan<byte> state = default)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(4);
        w.Write("jsonrpc");
        w.Write("2.0");
        w.Write("id");
        w.Write(id);
        w.Write("method");
        w.Write(method);
        w.Write("params");
        writeParams(ref w, state);
        w.Flush();
        return Frame(buffer.WrittenSpan);
    }

    /// <summary>A successful <c>ipc.call</c> result, <c>[0, nil, nil, 0]</c>, for the request whose raw id is <paramref name="rawId"/>.</summary>
    public static byte[] Result(ReadOnlySpan<byte> rawId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(3);
        w.Write("jsonrpc");
        w.Write("2.0");
        w.Write("id");
        w.WriteRaw(rawId);
        w.Write("result");
        w.WriteArrayHeader(4);
        w.Write(0);
        w.WriteNil();
        w.WriteNil();
        w.Write(0UL);
        w.Flush();
        return Frame(buffer.WrittenSpan);
    }

    /// <summary>Reads one frame's body from <paramref name="input"/>; null at the end of the stream.</summary>
    public static async Task<byte[]?> ReadFrameAsync(Stream input, CancellationToken cancellationToken)
    {
        byte[] header = new byte[4];
        int read = await input.ReadAtLeastAsync(header, 4, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < 4)
        {
            return null;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is <= 0 or > 64 * 1024 * 1024)
        {
            throw new InvalidDataException($"the host sent a frame of {length} bytes");
        }

        byte[] body = new byte[length];
        await input.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }

    /// <summary>Decodes the parts of a message the hostile process looks at.</summary>
    public static Message Parse(byte[] body)
    {
        var message = new Message();
        var reader = new MessagePackReader(body);
        int count = reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            string? key = reader.ReadString();
            switch (key)
            {
                case "id":
                    message.RawId = reader.ReadRaw().ToArray();
                    var idReader = new MessagePackReader(message.RawId);
                    message.Id = idReader.NextMessagePackType == MessagePackType.Integer ? idReader.ReadInt64() : -1;
                    break;
                case "method":
                    message.Method = reader.ReadString();
                    break;
                case "params" when reader.NextMessagePackType == MessagePackType.Array:
                    int n = reader.ReadArrayHeader();
                    for (int p = 0; p < n; p++)
                    {
                        if (p == 0 && reader.NextMessagePackType == MessagePackType.String)
                        {
                            message.EventId = reader.ReadString();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }

                    break;
                case "result" when reader.NextMessagePackType == MessagePackType.Array:
                    int r = reader.ReadArrayHeader();
                    message.IsResult = true;
                    message.Status = reader.ReadInt32();
                    message.Text = reader.TryReadNil() ? null : reader.ReadString();
                    if (r > 2)
                    {
                        message.Payload = reader.TryReadNil() ? null : reader.ReadBytes()?.ToArray();
                    }

                    for (int p = 3; p < r; p++)
                    {
                        reader.Skip();
                    }

                    break;
                case "error":
                    message.IsError = true;
                    message.Text = "JSON-RPC error";
                    reader.Skip();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return message;
    }

    /// <summary>Writes a request's params.</summary>
    public delegate void ParamsWriter(ref MessagePackWriter writer, ReadOnlySpan<byte> state);

    /// <summary>What <see cref="Parse"/> found in a message.</summary>
    internal sealed class Message
    {
        public byte[] RawId { get; set; } = [];

        public long Id { get; set; } = -1;

        public string? Method { get; set; }

        public string? EventId { get; set; }

        public bool IsResult { get; set; }

        public bool IsError { get; set; }

        public int Status { get; set; }

        public string? Text { get; set; }

        /// <summary>Gets or sets a result's inline answer bundle, encoded (null when nil or sent on a channel).</summary>
        public byte[]? Payload { get; set; }

        public override string ToString() =>
            this.Method is not null ? $"request id {this.Id} {this.Method} '{this.EventId}'"
            : this.IsResult ? $"result id {this.Id} status {this.Status} ({this.Text})"
            : this.IsError ? $"error id {this.Id}"
            : "message";
    }
}
