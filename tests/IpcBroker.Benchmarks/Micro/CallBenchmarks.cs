using BenchmarkDotNet.Attributes;
using IpcBroker.Plugins;
using IpcBroker.Protocol;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker.Benchmarks.Micro;

/// <summary>
/// One whole small call (the 5-key bundle echoed), in this process, over an in-memory duplex pair: the broker
/// (<see cref="IpcConnection"/> on both ends) against the bare stack under it — StreamJsonRpc with its
/// <see cref="MessagePackFormatter"/> and a length header, calling a method of the same shape (<c>ipc.call</c> with the
/// same four arguments, answered with the same <see cref="CallReply"/>), over the bare stream and over a
/// MultiplexingStream channel as the broker uses. The bare handlers echo the encoded bytes; the broker's figure also holds
/// its bundle encoding and decoding on both sides (see <see cref="BundleCodecBenchmarks"/>).
/// </summary>
[MemoryDiagnoser]
public class CallBenchmarks
{
    private const string EventId = "bench.echo";
    private static readonly IpcCaller MiniIdentity = new(IpcSide.Mini, "bench", MiniAppVerType.Develop, 2);
    private static readonly IpcCaller MainIdentity = new(IpcSide.Main, "bench", MiniAppVerType.Develop, 1);

    private readonly Bundle bundle = MicroPayload.Create();
    private readonly byte[] payload = BundleCodec.Encode(MicroPayload.Create(), BundleLimits.Default);
    private readonly List<IAsyncDisposable> resources = [];
    private IpcConnection broker = null!;
    private JsonRpc bareStream = null!;
    private JsonRpc bareMultiplexed = null!;
    private JsonRpc bareMultiplexedTraced = null!;
    private JsonRpc bareMultiplexedCancellable = null!;
    private readonly CancellationTokenSource callerCancellation = new();

    /// <summary>Connects the three stacks.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (Stream mainStream, Stream miniStream) = FullDuplexStream.CreatePair();
        var mainRegistry = new IpcEventRegistry(IpcSide.Main);
        mainRegistry.AddHandler(EventId, request => Task.FromResult(request.Data));
        IpcConnection main = IpcConnection.Start(mainStream, mainRegistry, MiniIdentity);
        this.broker = IpcConnection.Start(miniStream, new IpcEventRegistry(IpcSide.Mini), MainIdentity);
        this.resources.Add(this.broker);
        this.resources.Add(main);

        (Stream clientStream, Stream serverStream) = FullDuplexStream.CreatePair();
        this.bareStream = this.Bare(new LengthHeaderMessageHandler(clientStream, clientStream, NewFormatter()), new LengthHeaderMessageHandler(serverStream, serverStream, NewFormatter()), traced: false);
        this.bareMultiplexed = this.ConnectMultiplexed(traced: false);
        this.bareMultiplexedTraced = this.ConnectMultiplexed(traced: true);
        this.bareMultiplexedCancellable = this.ConnectMultiplexed(traced: false, cancellable: true);
    }

    /// <summary>Closes everything.</summary>
    /// <returns>A task.</returns>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (IAsyncDisposable resource in this.resources)
        {
            await resource.DisposeAsync();
        }

        this.callerCancellation.Dispose();
    }

    /// <summary>A call through the broker: encode, governance, deadline, JSON-RPC on a multiplexed channel, handler, decode.</summary>
    /// <returns>The result.</returns>
    [Benchmark]
    public Task<IpcResult> Broker() => this.broker.CallAsync(EventId, this.bundle);

    /// <summary>Bare StreamJsonRpc + MessagePack + length header over the in-memory stream.</summary>
    /// <returns>The reply.</returns>
    [Benchmark]
    public Task BareStream() => this.bareStream.InvokeWithCancellationAsync<CallReply>(IpcConnection.CallMethod, [EventId, 1000, this.payload, 0UL], CancellationToken.None);

    /// <summary>The same over a MultiplexingStream channel (protocol 3, seeded channel 0): the stack the broker stands on.</summary>
    /// <returns>The reply.</returns>
    [Benchmark(Baseline = true)]
    public Task BareMultiplexed() => this.bareMultiplexed.InvokeWithCancellationAsync<CallReply>(IpcConnection.CallMethod, [EventId, 1000, this.payload, 0UL], CancellationToken.None);

    /// <summary>As <see cref="BareMultiplexed"/>, with StreamJsonRpc's ActivityTracingStrategy on both ends and nobody listening.</summary>
    /// <returns>The reply.</returns>
    [Benchmark]
    public Task BareMultiplexedTraced() => this.bareMultiplexedTraced.InvokeWithCancellationAsync<CallReply>(IpcConnection.CallMethod, [EventId, 1000, this.payload, 0UL], CancellationToken.None);

    /// <summary>
    /// As <see cref="BareMultiplexed"/>, with what cancellation costs StreamJsonRpc itself: the caller passes a token that
    /// can be cancelled (StreamJsonRpc registers on it, to send <c>$/cancelRequest</c>) and the server method takes a
    /// <see cref="CancellationToken"/> (StreamJsonRpc makes a source per request). The broker needs both.
    /// </summary>
    /// <returns>The reply.</returns>
    [Benchmark]
    public Task BareMultiplexedCancellable() => this.bareMultiplexedCancellable.InvokeWithCancellationAsync<CallReply>(IpcConnection.CallMethod, [EventId, 1000, this.payload, 0UL], this.callerCancellation.Token);

    private static CallReply EchoCancellable(string eventId, int timeoutMs, byte[]? payload, ulong payloadChannel, CancellationToken cancellationToken) => new(0, null, payload);

    private static MessagePackFormatter NewFormatter()
    {
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(IpcConnection.SerializerOptions);
        return formatter;
    }

    private static CallReply Echo(string eventId, int timeoutMs, byte[]? payload, ulong payloadChannel) => new(0, null, payload);

    private JsonRpc ConnectMultiplexed(bool traced, bool cancellable = false)
    {
        (Stream clientStream, Stream serverStream) = FullDuplexStream.CreatePair();
        var options = new MultiplexingStream.Options
        {
            ProtocolMajorVersion = 3,
            SeededChannels = { new MultiplexingStream.ChannelOptions { ChannelReceivingWindowSize = 50 * 20 * 1024 } },
        };
        MultiplexingStream client = MultiplexingStream.Create(clientStream, options);
        MultiplexingStream server = MultiplexingStream.Create(serverStream, options);
        this.resources.Add(client);
        this.resources.Add(server);
        return this.Bare(new LengthHeaderMessageHandler(client.AcceptChannel(0), NewFormatter()), new LengthHeaderMessageHandler(server.AcceptChannel(0), NewFormatter()), traced, cancellable);
    }

    private JsonRpc Bare(IJsonRpcMessageHandler clientHandler, IJsonRpcMessageHandler serverHandler, bool traced, bool cancellable = false)
    {
        var server = new JsonRpc(serverHandler);
        var client = new JsonRpc(clientHandler);
        if (traced)
        {
            server.ActivityTracingStrategy = new ActivityTracingStrategy();
            client.ActivityTracingStrategy = new ActivityTracingStrategy();
        }

        if (cancellable)
        {
            server.AddLocalRpcMethod(IpcConnection.CallMethod, new Func<string, int, byte[]?, ulong, CancellationToken, CallReply>(EchoCancellable));
        }
        else
        {
            server.AddLocalRpcMethod(IpcConnection.CallMethod, new Func<string, int, byte[]?, ulong, CallReply>(Echo));
        }
        server.StartListening();
        client.StartListening();
        this.resources.Add(new DisposeRpc(server));
        this.resources.Add(new DisposeRpc(client));
        return client;
    }

    private sealed class DisposeRpc(JsonRpc rpc) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            rpc.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
