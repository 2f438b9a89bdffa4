using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker.Tests;

/// <summary>
/// A main-side <see cref="IpcConnection"/> whose peer is a bare StreamJsonRpc endpoint on the seeded channel: it
/// answers and calls whatever the test makes it, ignoring every rule a well-behaved peer keeps.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly MultiplexingStream multiplexor;

    public RawPeer(ILoggerFactory loggers, IpcConnectionOptions? mainOptions = null)
    {
        (Stream mainStream, Stream rawStream) = FullDuplexStream.CreatePair();
        this.MainRegistry = new IpcEventRegistry(IpcSide.Main);
        this.Main = IpcConnection.Start(mainStream, this.MainRegistry, ConnectionPair.MiniIdentity, mainOptions, loggers.CreateLogger("main"));
        this.multiplexor = MultiplexingStream.Create(rawStream, new MultiplexingStream.Options { ProtocolMajorVersion = 3, SeededChannels = { new MultiplexingStream.ChannelOptions() } });
        this.Rpc = new JsonRpc(new LengthHeaderMessageHandler(this.multiplexor.AcceptChannel(0), new MessagePackFormatter()));
    }

    public IpcEventRegistry MainRegistry { get; }

    public IpcConnection Main { get; }

    /// <summary>Gets the peer's JSON-RPC endpoint; the test adds methods and then calls <see cref="JsonRpc.StartListening"/>.</summary>
    public JsonRpc Rpc { get; }

    public async ValueTask DisposeAsync()
    {
        await this.Main.DisposeAsync();
        this.Rpc.Dispose();
        await this.multiplexor.DisposeAsync();
    }
}
