using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using IpcBroker.Protocol;
using MessagePack;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker.Benchmarks;

/// <summary>The stacks under the broker, measured bare with the same payload (a bundle's <see cref="BundleCodec"/> bytes).</summary>
internal enum BareStackKind : byte
{
    /// <summary>StreamJsonRpc + MessagePackFormatter + LengthHeaderMessageHandler directly on the socket.</summary>
    JsonRpcOnSocket = 1,

    /// <summary>The same on channel 0 of a Nerdbank.Streams MultiplexingStream (protocol 3): what the broker stands on.</summary>
    JsonRpcOnMultiplexer = 2,

    /// <summary>StreamJsonRpc taken off the call path: length-prefixed bundle bytes on channel 0, answered in order.</summary>
    FramesOnMultiplexer = 3,
}

/// <summary>
/// Both ends of the bare stacks: the server is this executable in a child mode (started under the launcher like a mini
/// process; the client's first byte names the stack), the client runs in the benchmark process.
/// </summary>
internal static class BareStack
{
    /// <summary>The environment variable that starts this executable as the stack server.</summary>
    public const string ChildModeVariable = "IPCB_BENCH_CHILD";

    /// <summary>The value of <see cref="ChildModeVariable"/> that makes this executable the stack server.</summary>
    public const string ChildModeValue = "stack-server";

    private const string EchoMethod = "echo";

    private static readonly BundleLimits Limits = BundleLimits.Default;

    /// <summary>The MessagePack options of the bare stack: the standard resolver, hardened for untrusted data like the broker's.</summary>
    private static readonly MessagePackSerializerOptions SerializerOptions = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Serves one connection: the stack the client names in its first byte, until the client closes it.</summary>
    public static async Task<int> ServeAsync()
    {
        await using Stream socket = await LaunchedChildSide.ConnectAsync(TimeSpan.FromSeconds(30));
        byte[] kind = new byte[1];
        await socket.ReadExactlyAsync(kind);
        switch ((BareStackKind)kind[0])
        {
            case BareStackKind.JsonRpcOnSocket:
                await ServeJsonRpcAsync(new LengthHeaderMessageHandler(socket, socket, NewFormatter()));
                break;
            case BareStackKind.JsonRpcOnMultiplexer:
                await using (MultiplexingStream mux = CreateMultiplexer(socket))
                {
                    await ServeJsonRpcAsync(new LengthHeaderMessageHandler(mux.AcceptChannel(0), NewFormatter()));
                }

                break;
            case BareStackKind.FramesOnMultiplexer:
                await using (MultiplexingStream mux = CreateMultiplexer(socket))
                {
                    await ServeFramesAsync(mux.AcceptChannel(0));
                }

                break;
            default:
                return 2;
        }

        return 0;
    }

    /// <summary>Opens the client end of a stack on a connected socket; the returned call echoes one bundle.</summary>
    public static async Task<BareStackClient> ConnectAsync(Stream socket, BareStackKind kind)
    {
        await socket.WriteAsync(new[] { (byte)kind });
        switch (kind)
        {
            case BareStackKind.JsonRpcOnSocket:
                return BareStackClient.ForJsonRpc(new JsonRpc(new LengthHeaderMessageHandler(socket, socket, NewFormatter())), null);
            case BareStackKind.JsonRpcOnMultiplexer:
            {
                MultiplexingStream mux = CreateMultiplexer(socket);
                return BareStackClient.ForJsonRpc(new JsonRpc(new LengthHeaderMessageHandler(mux.AcceptChannel(0), NewFormatter())), mux);
            }

            default:
            {
                MultiplexingStream mux = CreateMultiplexer(socket);
                return BareStackClient.ForFrames(new FrameClient(mux.AcceptChannel(0)), mux);
            }
        }
    }

    /// <summary>Decodes a bundle and encodes it again, as the broker's echo does on each side.</summary>
    public static byte[] Echo(ReadOnlyMemory<byte> bytes) => BundleCodec.Encode(BundleCodec.Decode(bytes, Limits), Limits);

    /// <summary>The multiplexer exactly as <c>IpcConnection</c> opens it: protocol 3, the same seeded channel 0 and windows.</summary>
    private static MultiplexingStream CreateMultiplexer(Stream socket)
    {
        var mux = MultiplexingStream.Create(socket, new MultiplexingStream.Options
        {
            ProtocolMajorVersion = 3,
            SeededChannels = { new MultiplexingStream.ChannelOptions { ChannelReceivingWindowSize = IpcConnection.ChannelZeroReceiveWindow } },
            DefaultChannelReceivingWindowSize = IpcConnection.UnclaimedChannelWindow,
            StartSuspended = true,
        });
        mux.StartListening();
        return mux;
    }

    private static MessagePackFormatter NewFormatter()
    {
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(SerializerOptions);
        return formatter;
    }

    private static async Task ServeJsonRpcAsync(IJsonRpcMessageHandler handler)
    {
        using var rpc = new JsonRpc(handler);
        rpc.AddLocalRpcMethod(EchoMethod, new Func<byte[], byte[]>(bytes => Echo(bytes)));
        rpc.StartListening();
        await rpc.Completion.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Answers each length-prefixed frame in order; the answers to what one read returned go out in one flush.</summary>
    private static async Task ServeFramesAsync(IDuplexPipe channel)
    {
        while (true)
        {
            ReadResult read = await channel.Input.ReadAsync();
            ReadOnlySequence<byte> buffer = read.Buffer;
            bool answered = false;
            while (FrameClient.TryReadFrame(ref buffer, out ReadOnlySequence<byte> body))
            {
                FrameClient.WriteFrame(channel.Output, Echo(body.ToArray()));
                answered = true;
            }

            channel.Input.AdvanceTo(buffer.Start, buffer.End);
            if (answered)
            {
                await channel.Output.FlushAsync();
            }

            if (read.IsCompleted)
            {
                return;
            }
        }
    }
}

/// <summary>The client end of a bare stack: one echo call of encoded bundle bytes, safe to call concurrently.</summary>
internal sealed class BareStackClient : IAsyncDisposable
{
    private readonly Func<byte[], Task<byte[]>> call;
    private readonly IAsyncDisposable? owner;
    private readonly IDisposable? rpc;

    private BareStackClient(Func<byte[], Task<byte[]>> call, IDisposable? rpc, IAsyncDisposable? owner)
    {
        this.call = call;
        this.rpc = rpc;
        this.owner = owner;
    }

    /// <summary>Encodes <paramref name="bundle"/>, echoes it, decodes the answer: what a broker call does with its bundle.</summary>
    public async Task CallAsync(Bundle bundle)
    {
        byte[] answer = await this.call(BundleCodec.Encode(bundle, BundleLimits.Default));
        _ = BundleCodec.Decode(answer, BundleLimits.Default);
    }

    public static BareStackClient ForJsonRpc(JsonRpc rpc, IAsyncDisposable? owner)
    {
        rpc.StartListening();
        return new BareStackClient(bytes => rpc.InvokeAsync<byte[]>("echo", bytes), rpc, owner);
    }

    public static BareStackClient ForFrames(FrameClient frames, IAsyncDisposable owner) => new(frames.CallAsync, frames, owner);

    public async ValueTask DisposeAsync()
    {
        this.rpc?.Dispose();
        if (this.owner is not null)
        {
            await this.owner.DisposeAsync();
        }
    }
}

/// <summary>A minimal hand-written request/answer over a duplex pipe: a 4-byte big-endian length, then the bytes; answers come in order.</summary>
internal sealed class FrameClient : IDisposable
{
    private readonly IDuplexPipe pipe;
    private readonly SemaphoreSlim writing = new(1, 1);
    private readonly ConcurrentQueue<TaskCompletionSource<byte[]>> waiting = new();
    private readonly Task reading;

    public FrameClient(IDuplexPipe pipe)
    {
        this.pipe = pipe;
        this.reading = Task.Run(this.ReadLoopAsync);
    }

    public async Task<byte[]> CallAsync(byte[] body)
    {
        var answer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await this.writing.WaitAsync();
        try
        {
            this.waiting.Enqueue(answer);
            WriteFrame(this.pipe.Output, body);
            await this.pipe.Output.FlushAsync();
        }
        finally
        {
            this.writing.Release();
        }

        return await answer.Task;
    }

    public static void WriteFrame(PipeWriter output, byte[] body)
    {
        Span<byte> span = output.GetSpan(4 + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(span, body.Length);
        body.CopyTo(span[4..]);
        output.Advance(4 + body.Length);
    }

    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> body)
    {
        body = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(head);
        int length = BinaryPrimitives.ReadInt32BigEndian(head);
        if (buffer.Length < 4 + length)
        {
            return false;
        }

        body = buffer.Slice(4, length);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    public void Dispose()
    {
        this.pipe.Output.Complete();
        this.writing.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult read = await this.pipe.Input.ReadAsync();
                ReadOnlySequence<byte> buffer = read.Buffer;
                while (TryReadFrame(ref buffer, out ReadOnlySequence<byte> body))
                {
                    if (this.waiting.TryDequeue(out TaskCompletionSource<byte[]>? answer))
                    {
                        answer.TrySetResult(body.ToArray());
                    }
                }

                this.pipe.Input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection closed: fail what waits below.
        }

        while (this.waiting.TryDequeue(out TaskCompletionSource<byte[]>? answer))
        {
            answer.TrySetException(new IOException("the connection closed"));
        }
    }
}
