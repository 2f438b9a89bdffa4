using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using MessagePack;
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
/// <para>StreamJsonRpc's own handler accepts any positive 32-bit length and allocates for it (vs-streamjsonrpc#326).
/// This one checks the header first: a length of 0, a negative one or one above <see cref="MaxMessageBytes"/> throws
/// <see cref="MessageTooLargeException"/> before a byte of the body is read, which makes <see cref="JsonRpc"/>
/// disconnect. A body that does not all arrive within the frame timeout of its header throws
/// <see cref="ProtocolViolationException"/> (<see cref="ProtocolViolation.FrameTimeout"/>).</para>
/// <para>Before the formatter sees a frame, <see cref="JsonRpcEnvelope"/> checks its envelope; anything else than a call,
/// a cancellation or an answer to a request this side sent throws <see cref="ProtocolViolationException"/> and the
/// connection closes: a peer that breaks the protocol is not kept.</para>
/// <para>Back-pressure: while the peer has twice the cap of calls at once waiting for their answers to be written, no
/// more of its frames are read; a flush that waits on the peer longer than the stall timeout is reported through
/// <see cref="OutboundProgress"/>.</para>
/// <para>Every JSON-RPC error leaving the process is redacted here (see <see cref="Redact"/>). Writes are serialized by
/// <see cref="MessageHandlerBase"/>; reads happen on one loop only. The set of outstanding request ids is written by
/// <see cref="Write"/> and read by the read loop concurrently, hence a concurrent dictionary; an id is added before
/// its request's bytes are flushed, so its answer can never be read first.</para>
/// </remarks>
internal sealed class BoundedLengthHeaderMessageHandler : PipeMessageHandler
{
    private readonly Sequence<byte> contentBuilder = new(ArrayPool<byte>.Shared);
    private readonly ConcurrentDictionary<RequestId, byte> outstanding = new();
    private readonly TimeSpan frameReadTimeout;
    private readonly Action<ulong>? channelNamed;
    private readonly OutboundProgress? progress;
    private readonly object unansweredGate = new();
    private int unanswered;
    private TaskCompletionSource? answerWritten;

    /// <summary>Initializes a new instance of the <see cref="BoundedLengthHeaderMessageHandler"/> class.</summary>
    /// <param name="pipe">Channel 0.</param>
    /// <param name="formatter">The MessagePack formatter.</param>
    /// <param name="maxMessageBytes">The largest frame body read.</param>
    /// <param name="frameReadTimeout">How long a frame's body may take to arrive after its header.</param>
    /// <param name="channelNamed">Told, under the write lock, of every payload channel id an outgoing message names.</param>
    /// <param name="progress">
    /// How much of its own writing the peer must take before this side reads more from it, and whom to tell when it takes
    /// nothing for too long; null for no such rule (the fuzz target).
    /// </param>
    public BoundedLengthHeaderMessageHandler(IDuplexPipe pipe, IJsonRpcMessageFormatter formatter, int maxMessageBytes, TimeSpan frameReadTimeout, Action<ulong>? channelNamed = null, OutboundProgress? progress = null)
        : base(pipe, formatter)
    {
        this.MaxMessageBytes = maxMessageBytes;
        this.frameReadTimeout = frameReadTimeout;
        this.channelNamed = channelNamed;
        this.progress = progress;
    }

    /// <summary>Gets the largest frame body read.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>Counts a request id as sent, so that one answer to it is accepted; for the fuzz target, which reads answers without writing requests.</summary>
    /// <param name="id">The request id.</param>
    internal void ExpectAnswerTo(RequestId id) => this.outstanding.TryAdd(id, 0);

    /// <inheritdoc/>
    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        // Back-pressure: while the peer leaves this many of our answers unwritten (it does not read them), read none of
        // its requests. A well-behaved peer keeps within the cap of calls at once and never gets here; one that floods
        // calls without reading the answers stops being read, so what it sends waits in its own buffers, not ours.
        await this.WaitForAnswersToDrainAsync(cancellationToken).ConfigureAwait(false);
        ReadResult readResult = await this.ReadAtLeastAsync(4, allowEmpty: true, cancellationToken).ConfigureAwait(false);
        if (readResult.Buffer.Length == 0)
        {
            return null;
        }

        ReadOnlySequence<byte> header = readResult.Buffer.Slice(0, 4);
        Span<byte> lengthBytes = stackalloc byte[4];
        header.CopyTo(lengthBytes);
        int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        if (length <= 0 || length > this.MaxMessageBytes)
        {
            this.Reader!.AdvanceTo(header.End);
            throw new MessageTooLargeException(length, this.MaxMessageBytes);
        }

        ReadOnlySequence<byte> body;
        if (readResult.Buffer.Length - 4 >= length)
        {
            // The usual case, and every frame but the first of several that came in one read: the body is already in
            // the buffer just read, so it is taken from there rather than through a second read of the pipe.
            body = readResult.Buffer.Slice(4, length);
        }
        else
        {
            this.Reader!.AdvanceTo(header.End);

            // Only a frame that is not all here yet pays for a timer. The deadline runs from the header, so trickling
            // the body a byte at a time cannot hold a frame buffer open for longer than the timeout.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(this.frameReadTimeout);
            try
            {
                readResult = await this.ReadAtLeastAsync(length, allowEmpty: false, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ProtocolViolationException(ProtocolViolation.FrameTimeout, $"a frame of {length} bytes did not arrive within {this.frameReadTimeout.TotalMilliseconds:0} ms of its header");
            }

            body = readResult.Buffer.Slice(0, length);
        }

        // StreamJsonRpc's MessagePackFormatter keeps slices of the message and decodes the arguments later, at dispatch
        // (its own handler defers releasing the buffer through an interface we cannot reach). So the formatter gets a
        // copy it may keep, and the pipe's buffer is released at once.
        byte[] copy = body.ToArray();
        this.Reader!.AdvanceTo(body.End);
        bool isRequest = JsonRpcEnvelope.Check(copy, this.outstanding);
        JsonRpcMessage message;
        try
        {
            message = this.Formatter.Deserialize(new ReadOnlySequence<byte>(copy));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ProtocolViolationException(ProtocolViolation.UndecodableFrame, "the formatter could not read the message: " + ex.GetType().Name, ex);
        }

        if (isRequest)
        {
            Interlocked.Increment(ref this.unanswered);
        }

        return message;
    }

    /// <inheritdoc/>
    protected override async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ValueTask flush = base.FlushAsync(cancellationToken);
        if (flush.IsCompleted || this.progress is null)
        {
            await flush.ConfigureAwait(false);
            return;
        }

        // The flush waits while the peer takes none of channel 0's bytes (its receive window is used up): past the stall
        // timeout the peer counts as no longer reading. The flush itself is left to end with the connection.
        Task pending = flush.AsTask();
        using (var stall = new CancellationTokenSource())
        {
            // The timer is cancelled as soon as the flush ends, so flushes that wait briefly leave no timers behind.
            if (await Task.WhenAny(pending, Task.Delay(this.progress.StalledWriteTimeout, stall.Token)).ConfigureAwait(false) != pending)
            {
                this.progress.OnStalled();
            }

            await stall.CancelAsync().ConfigureAwait(false);
        }

        await pending.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Write(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        if (content is JsonRpcError { Error: { } error })
        {
            Redact(error);
        }


        switch (content)
        {
            case JsonRpcRequest request:
                if (!request.RequestId.IsEmpty)
                {
                    this.outstanding.TryAdd(request.RequestId, 0);
                }

                if (request.ArgumentsList is { Count: 4 } arguments && arguments[3] is ulong requestChannel and not 0)
                {
                    this.channelNamed?.Invoke(requestChannel);
                }

                break;
            case JsonRpcResult { Result: CallReply { PayloadChannel: not 0 and ulong replyChannel } }:
                this.channelNamed?.Invoke(replyChannel);
                break;
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

            // Counted once its bytes are in the writer: an answer that failed to serialize answered nothing.
            if (content is JsonRpcResult or JsonRpcError && this.progress is not null)
            {
                this.OnAnswerWritten();
            }
        }
        finally
        {
            this.contentBuilder.Reset();
        }
    }

    /// <summary>Waits while the peer has as many requests unanswered as <see cref="OutboundProgress.MaxUnansweredRequests"/>.</summary>
    private async ValueTask WaitForAnswersToDrainAsync(CancellationToken cancellationToken)
    {
        if (this.progress is null)
        {
            return;
        }

        while (true)
        {
            Task drained;
            lock (this.unansweredGate)
            {
                if (Volatile.Read(ref this.unanswered) < this.progress.MaxUnansweredRequests)
                {
                    return;
                }

                this.answerWritten ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drained = this.answerWritten.Task;
            }

            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts an answer handed to the writer and wakes a read loop waiting for answers to drain.</summary>
    private void OnAnswerWritten()
    {
        TaskCompletionSource? waiter;
        lock (this.unansweredGate)
        {
            if (this.unanswered > 0)
            {
                Interlocked.Decrement(ref this.unanswered);
            }

            waiter = this.answerWritten;
            this.answerWritten = null;
        }

        waiter?.TrySetResult();
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
