using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using StreamJsonRpc.Reflection;

namespace IpcBroker.Protocol;

/// <summary>
/// JSON-RPC framing: each message is a 4-byte big-endian length followed by that many bytes of MessagePack — the
/// same wire form as StreamJsonRpc's <see cref="LengthHeaderMessageHandler"/>, plus a cap on the declared length.
/// </summary>
/// <remarks>
/// StreamJsonRpc's own handler accepts any positive 32-bit length and allocates for it (vs-streamjsonrpc#326).
/// This one checks the header first: a length of 0, a negative one or one above <see cref="MaxMessageBytes"/> throws
/// <see cref="MessageTooLargeException"/> before a byte of the body is read, which makes <see cref="JsonRpc"/>
/// disconnect. Every JSON-RPC error leaving the process is redacted here (see <see cref="Redact"/>).
/// Writes are serialized by <see cref="MessageHandlerBase"/>; reads happen on one loop only.
/// </remarks>
internal sealed class BoundedLengthHeaderMessageHandler : PipeMessageHandler
{
    private readonly Sequence<byte> contentBuilder = new(ArrayPool<byte>.Shared);

    public BoundedLengthHeaderMessageHandler(IDuplexPipe pipe, IJsonRpcMessageFormatter formatter, int maxMessageBytes)
        : base(pipe, formatter)
    {
        this.MaxMessageBytes = maxMessageBytes;
    }

    public int MaxMessageBytes { get; }

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        ReadResult readResult = await this.ReadAtLeastAsync(4, allowEmpty: true, cancellationToken).ConfigureAwait(false);
        if (readResult.Buffer.Length == 0)
        {
            return null;
        }

        ReadOnlySequence<byte> header = readResult.Buffer.Slice(0, 4);
        Span<byte> lengthBytes = stackalloc byte[4];
        header.CopyTo(lengthBytes);
        int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        this.Reader!.AdvanceTo(header.End);
        if (length <= 0 || length > this.MaxMessageBytes)
        {
            throw new MessageTooLargeException(length, this.MaxMessageBytes);
        }

        readResult = await this.ReadAtLeastAsync(length, allowEmpty: false, cancellationToken).ConfigureAwait(false);
        ReadOnlySequence<byte> body = readResult.Buffer.Slice(0, length);


        // StreamJsonRpc's MessagePackFormatter keeps slices of the message and decodes the arguments later, at dispatch
        // (its own handler defers releasing the buffer through an interface we cannot reach). So the formatter gets a
        // copy it may keep, and the pipe's buffer is released at once.
        byte[] copy = body.ToArray();
        this.Reader.AdvanceTo(body.End);
        return this.Formatter.Deserialize(new ReadOnlySequence<byte>(copy));
    }

    protected override void Write(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        if (content is JsonRpcError { Error: { } error })
        {
            Redact(error);
        }

        try
        {
            this.Formatter.Serialize(this.contentBuilder, content);
            ReadOnlySequence<byte> body = this.contentBuilder.AsReadOnlySequence;
            if (this.Formatter is IJsonRpcFormatterTracingCallbacks tracer)
            {
                tracer.OnSerializationComplete(content, body);
            }

            BinaryPrimitives.WriteInt32BigEndian(this.Writer!.GetSpan(4), checked((int)body.Length));
            this.Writer.Advance(4);
            foreach (ReadOnlyMemory<byte> segment in body)
            {
                this.Writer.Write(segment.Span);
            }
        }
        finally
        {
            this.contentBuilder.Reset();
        }
    }

    /// <summary>
    /// Replaces an outgoing error's message and data with fixed text. StreamJsonRpc puts exception type names, messages
    /// and stack traces there (and parameter type names in method-not-found errors); none of that may cross to the other
    /// process. Failures of handlers never get here: they travel as <see cref="CallReply"/> values.
    /// </summary>
    private static void Redact(JsonRpcError.ErrorDetail error)
    {
        error.Message = error.Code switch
        {
            JsonRpcErrorCode.MethodNotFound => "No such method, or its arguments do not match.",
            JsonRpcErrorCode.InvalidParams => "The arguments do not match the method.",
            JsonRpcErrorCode.ParseError or JsonRpcErrorCode.InvalidRequest => "The request could not be read.",
            JsonRpcErrorCode.RequestCanceled => "The request was canceled.",
            _ => "The request could not be dispatched.",
        };
        error.Data = null;
    }
}
