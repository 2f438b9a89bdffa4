using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using IpcBroker.Diagnostics;
using IpcBroker.Plugins;
using MessagePack;
using Nerdbank.Streams;

namespace IpcBroker.Tests;

/// <summary>A peer that breaks the wire protocol is cut off with a stable reason (docs/protocol.md, section 8).</summary>
public class ProtocolViolationTests(ITestOutputHelper output) : TestBase(output)
{
    public static TheoryData<string, ProtocolViolation> BadFrames => new()
    {
        { "reserved byte 0xc1", ProtocolViolation.UndecodableFrame },
        { "truncated map", ProtocolViolation.UndecodableFrame },
        { "array header claiming 4 billion elements", ProtocolViolation.UndecodableFrame },
        { "an integer", ProtocolViolation.NotJsonRpc },
        { "a map that is neither request nor answer", ProtocolViolation.NotJsonRpc },
        { "an answer to id 99", ProtocolViolation.UnexpectedAnswer },
        { "an error with a nil id", ProtocolViolation.UnexpectedAnswer },
        { "method other.method", ProtocolViolation.UnknownMethod },
        { "$/cancelRequest with an id", ProtocolViolation.NotJsonRpc },
        { "ipc.call without an id", ProtocolViolation.NotJsonRpc },
        { "ipc.call params of the wrong types", ProtocolViolation.BadParams },
        { "ipc.call with three params", ProtocolViolation.BadParams },
        { "ipc.call payload as a string", ProtocolViolation.BadParams },
        { "ipc.call negative channel", ProtocolViolation.BadParams },
        { "ipc.call timeout beyond 32 bits", ProtocolViolation.BadParams },
        { "zero length", ProtocolViolation.FrameLength },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task ABadFrameClosesTheConnectionWithItsReason(string frame, ProtocolViolation expected)
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<IpcResult> pending = peer.Main.CallAsync("anything", null);

        await peer.WriteFrameAsync(Frame(frame), this.TimeoutToken);

        await this.WithTimeoutAsync(peer.Main.Completion);
        Assert.Equal(expected, peer.Main.Violation);
        Assert.Contains(expected.ToString(), peer.Main.CloseReason);
        IpcResult failed = await this.WithTimeoutAsync(pending);
        Assert.Equal(IpcErrorCode.PeerDisconnected, failed.ErrorCode);
        await this.WaitForLogAsync(r => r.EventId == 1023 && r.Message.Contains(expected.ToString()));
    }

    [Fact]
    public async Task AWellFormedCallFromARawPeerIsServedAndItsAnswerIsAccepted()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());
        peer.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));

        // A call with an int id and [str, int, nil, 0]: served, no violation. The answer is read back to prove it came.
        await peer.WriteFrameAsync(Frame("ipc.call echo"), this.TimeoutToken);
        ReadOnlySequence<byte> answer = await this.WithTimeoutAsync(peer.ReadFrameAsync(this.TimeoutToken));

        var reader = new MessagePackReader(answer);
        Assert.Equal(MessagePackType.Map, reader.NextMessagePackType);
        Assert.True(peer.Main.IsConnected);
        Assert.Null(peer.Main.Violation);
    }

    [Fact]
    public async Task AViolationIsCountedInTheMeterWithItsReason()
    {
        var reasons = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == IpcTelemetry.Name && instrument.Name == "ipc.protocol_violations")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "reason")
                {
                    reasons.Enqueue((string)tag.Value!);
                }
            }
        });
        listener.Start();
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());

        await peer.WriteFrameAsync(Frame("method other.method"), this.TimeoutToken);

        await this.WithTimeoutAsync(peer.Main.Completion);
        Assert.Contains(nameof(ProtocolViolation.UnknownMethod), reasons);
    }

    [Fact]
    public async Task AFrameTrickledSlowerThanTheFrameTimeoutClosesTheConnection()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions { FrameReadTimeout = TimeSpan.FromMilliseconds(300) });
        byte[] header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 512 * 1024);
        await peer.WriteRawAsync(header, this.TimeoutToken);

        // A byte at a time, until the connection is cut: 512 KiB this way would take far longer than the test.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(this.TimeoutToken);
        Task trickle = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && peer.Main.IsConnected)
            {
                await peer.WriteRawAsync(new byte[] { 0x90 }, stop.Token);
                await Task.Delay(20, stop.Token);
            }
        });

        await this.WithTimeoutAsync(peer.Main.Completion);
        stop.Cancel();
        Assert.Equal(ProtocolViolation.FrameTimeout, peer.Main.Violation);
        await Task.WhenAny(trickle);
    }

    [Fact]
    public async Task AFrameThatArrivesInPiecesWithinTheTimeoutIsRead()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());
        peer.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        byte[] frame = Frame("ipc.call echo");

        await peer.WriteRawAsync(frame.AsMemory(0, 6), this.TimeoutToken);
        await peer.WriteRawAsync(frame.AsMemory(6), this.TimeoutToken);

        await this.WithTimeoutAsync(peer.ReadFrameAsync(this.TimeoutToken));
        Assert.Null(peer.Main.Violation);
    }

    [Fact]
    public async Task SeveralFramesThatArriveInOneWriteAreEachReadAndAnswered()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());
        peer.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        byte[] frames = [.. EchoFrame(id: 1), .. EchoFrame(id: 2), .. EchoFrame(id: 3)];

        await peer.WriteRawAsync(frames, this.TimeoutToken);

        var answered = new HashSet<int>();
        for (int i = 0; i < 3; i++)
        {
            answered.Add(AnswerId(await this.WithTimeoutAsync(peer.ReadFrameAsync(this.TimeoutToken))));
        }

        Assert.Equal([1, 2, 3], answered.Order());
        Assert.Null(peer.Main.Violation);
        Assert.True(peer.Main.IsConnected);
    }

    [Fact]
    public async Task AFrameFollowedByPartOfTheNextIsAnsweredAndTheNextOnceItsRestArrives()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());
        peer.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        byte[] second = EchoFrame(id: 2);

        // The second frame's header and two bytes of its body come with the first frame; its rest comes later.
        byte[] firstAndPart = [.. EchoFrame(id: 1), .. second.AsSpan(0, 6)];
        await peer.WriteRawAsync(firstAndPart, this.TimeoutToken);
        Assert.Equal(1, AnswerId(await this.WithTimeoutAsync(peer.ReadFrameAsync(this.TimeoutToken))));

        await peer.WriteRawAsync(second.AsMemory(6), this.TimeoutToken);
        Assert.Equal(2, AnswerId(await this.WithTimeoutAsync(peer.ReadFrameAsync(this.TimeoutToken))));
        Assert.Null(peer.Main.Violation);
    }

    [Fact]
    public async Task ABadFrameThatArrivesInOneWriteWithAGoodOneStillClosesTheConnection()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions());
        peer.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));

        byte[] goodThenBad = [.. EchoFrame(id: 1), .. Frame("method other.method")];
        await peer.WriteRawAsync(goodThenBad, this.TimeoutToken);

        await this.WithTimeoutAsync(peer.Main.Completion);
        Assert.Equal(ProtocolViolation.UnknownMethod, peer.Main.Violation);
    }

    [Fact]
    public async Task APeerThatOffersAChannelItNeverNamesIsCutOffAfterTheAgeLimit()
    {
        await using var peer = new RawPeer(this.LoggerFactory, new IpcConnectionOptions { UnclaimedChannelTimeout = TimeSpan.FromMilliseconds(300) });

        peer.Multiplexor.CreateChannel();

        await this.WithTimeoutAsync(peer.Main.Completion);
        Assert.Equal(ProtocolViolation.UnclaimedChannelExpired, peer.Main.Violation);
    }

    /// <summary>Builds one length-prefixed frame for channel 0.</summary>
    private static byte[] Frame(string what)
    {
        var body = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(body);
        switch (what)
        {
            case "reserved byte 0xc1":
                writer.WriteRaw(new byte[] { 0xc1 });
                break;
            case "truncated map":
                writer.WriteMapHeader(3);
                writer.Write("jsonrpc");
                break;
            case "array header claiming 4 billion elements":
                writer.WriteMapHeader(1);
                writer.Write("params");
                writer.WriteArrayHeader(uint.MaxValue);
                writer.Write(1);
                break;
            case "an integer":
                writer.Write(42);
                break;
            case "a map that is neither request nor answer":
                writer.WriteMapHeader(1);
                writer.Write("jsonrpc");
                writer.Write("2.0");
                break;
            case "an answer to id 99":
                writer.WriteMapHeader(3);
                writer.Write("jsonrpc");
                writer.Write("2.0");
                writer.Write("id");
                writer.Write(99);
                writer.Write("result");
                writer.WriteNil();
                break;
            case "an error with a nil id":
                writer.WriteMapHeader(3);
                writer.Write("jsonrpc");
                writer.Write("2.0");
                writer.Write("id");
                writer.WriteNil();
                writer.Write("error");
                writer.WriteMapHeader(2);
                writer.Write("code");
                writer.Write(-32700);
                writer.Write("message");
                writer.Write("x");
                break;
            case "method other.method":
                RequestHead(ref writer, "other.method");
                writer.WriteArrayHeader(0);
                break;
            case "ipc.call without an id":
                writer.WriteMapHeader(3);
                writer.Write("jsonrpc");
                writer.Write("2.0");
                writer.Write("method");
                writer.Write(IpcConnection.CallMethod);
                writer.Write("params");
                CallParams(ref writer, "echo", 1000, stringPayload: false, channel: 0);
                break;
            case "$/cancelRequest with an id":
                RequestHead(ref writer, "$/cancelRequest");
                writer.WriteMapHeader(1);
                writer.Write("id");
                writer.Write(7);
                break;
            case "ipc.call params of the wrong types":
                RequestHead(ref writer, IpcConnection.CallMethod);
                writer.WriteArrayHeader(3);
                writer.Write(42);
                writer.Write("not an int");
                writer.Write(3.5);
                break;
            case "ipc.call with three params":
                RequestHead(ref writer, IpcConnection.CallMethod);
                writer.WriteArrayHeader(3);
                writer.Write("echo");
                writer.Write(1000);
                writer.WriteNil();
                break;
            case "ipc.call payload as a string":
                RequestHead(ref writer, IpcConnection.CallMethod);
                CallParams(ref writer, "echo", 1000, stringPayload: true, 0);
                break;
            case "ipc.call negative channel":
                RequestHead(ref writer, IpcConnection.CallMethod);
                CallParams(ref writer, "echo", 1000, stringPayload: false, -1);
                break;
            case "ipc.call timeout beyond 32 bits":
                RequestHead(ref writer, IpcConnection.CallMethod);
                CallParams(ref writer, "echo", 1L << 40, stringPayload: false, 0);
                break;
            case "ipc.call echo":
                RequestHead(ref writer, IpcConnection.CallMethod);
                CallParams(ref writer, "echo", 5000, stringPayload: false, 0);
                break;
            case "zero length":
                return new byte[4];
            default:
                throw new ArgumentException(what);
        }

        writer.Flush();
        byte[] frame = new byte[4 + body.WrittenCount];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.WrittenCount);
        body.WrittenSpan.CopyTo(frame.AsSpan(4));
        return frame;
    }

    /// <summary>Builds a well-formed <c>ipc.call</c> of event <c>echo</c> with request id <paramref name="id"/>.</summary>
    private static byte[] EchoFrame(int id)
    {
        var body = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(body);
        RequestHead(ref writer, IpcConnection.CallMethod, id);
        CallParams(ref writer, "echo", 5000, stringPayload: false, 0);
        writer.Flush();
        byte[] frame = new byte[4 + body.WrittenCount];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.WrittenCount);
        body.WrittenSpan.CopyTo(frame.AsSpan(4));
        return frame;
    }

    /// <summary>Reads the id of an answer frame's body.</summary>
    private static int AnswerId(ReadOnlySequence<byte> body)
    {
        var reader = new MessagePackReader(body);
        int count = reader.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            if (reader.ReadString() == "id")
            {
                return reader.ReadInt32();
            }

            reader.Skip();
        }

        throw new Xunit.Sdk.XunitException("the answer has no id");
    }

    private static void RequestHead(ref MessagePackWriter writer, string method, int id = 1)
    {
        writer.WriteMapHeader(4);
        writer.Write("jsonrpc");
        writer.Write("2.0");
        writer.Write("id");
        writer.Write(id);
        writer.Write("method");
        writer.Write(method);
        writer.Write("params");
    }

    private static void CallParams(ref MessagePackWriter writer, string eventId, long timeoutMs, bool stringPayload, long channel)
    {
        writer.WriteArrayHeader(4);
        writer.Write(eventId);
        writer.Write(timeoutMs);
        if (stringPayload)
        {
            writer.Write("payload");
        }
        else
        {
            writer.WriteNil();
        }

        writer.Write(channel);
    }

    /// <summary>A main-side connection and, on the other end, a bare multiplexer whose channel 0 takes raw bytes.</summary>
    private sealed class RawPeer : IAsyncDisposable
    {
        private readonly MultiplexingStream.Channel channel;

        public RawPeer(Microsoft.Extensions.Logging.ILoggerFactory loggers, IpcConnectionOptions options)
        {
            (Stream mainStream, Stream rawStream) = FullDuplexStream.CreatePair();
            this.MainRegistry = new IpcEventRegistry(IpcSide.Main);
            this.Main = IpcConnection.Start(mainStream, this.MainRegistry, ConnectionPair.MiniIdentity, options, loggers.CreateLogger("main"));
            this.Multiplexor = MultiplexingStream.Create(rawStream, new MultiplexingStream.Options
            {
                ProtocolMajorVersion = 3,
                SeededChannels = { new MultiplexingStream.ChannelOptions { ChannelReceivingWindowSize = IpcConnection.ChannelZeroReceiveWindow } },
            });
            this.channel = this.Multiplexor.AcceptChannel(0);
        }

        public IpcEventRegistry MainRegistry { get; }

        public IpcConnection Main { get; }

        public MultiplexingStream Multiplexor { get; }

        public async Task WriteFrameAsync(byte[] frame, CancellationToken cancellationToken) => await this.WriteRawAsync(frame, cancellationToken);

        public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            try
            {
                await this.channel.Output.WriteAsync(bytes, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection was cut: what the test waits for.
            }
        }

        /// <summary>Reads the next frame the main side writes, skipping none.</summary>
        public async Task<ReadOnlySequence<byte>> ReadFrameAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                System.IO.Pipelines.ReadResult read = await this.channel.Input.ReadAsync(cancellationToken);
                if (read.Buffer.Length >= 4)
                {
                    byte[] head = read.Buffer.Slice(0, 4).ToArray();
                    int length = BinaryPrimitives.ReadInt32BigEndian(head);
                    if (read.Buffer.Length >= 4 + length)
                    {
                        var body = new ReadOnlySequence<byte>(read.Buffer.Slice(4, length).ToArray());
                        this.channel.Input.AdvanceTo(read.Buffer.GetPosition(4 + length));
                        return body;
                    }
                }

                Assert.False(read.IsCompleted, "the main side closed channel 0");
                this.channel.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await this.Main.DisposeAsync();
            await this.Multiplexor.DisposeAsync();
        }
    }
}
