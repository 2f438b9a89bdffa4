using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;
using Nerdbank.Streams;

namespace IpcBroker.Tests;

/// <summary>A main-side and a mini-side <see cref="IpcConnection"/> joined by an in-memory duplex stream.</summary>
internal sealed class ConnectionPair : IAsyncDisposable
{
    public static readonly IpcCaller MiniIdentity = new(IpcSide.Mini, "wx-app-1", MiniAppVerType.Develop, 4242);
    public static readonly IpcCaller MainIdentity = new(IpcSide.Main, "wx-app-1", MiniAppVerType.Develop, 1);

    public ConnectionPair(ILoggerFactory loggers, IpcConnectionOptions? mainOptions = null, IpcConnectionOptions? miniOptions = null, IpcCaller? miniIdentity = null)
    {
        (Stream mainStream, Stream miniStream) = FullDuplexStream.CreatePair();
        this.MainRegistry = new IpcEventRegistry(IpcSide.Main);
        this.MiniRegistry = new IpcEventRegistry(IpcSide.Mini);

        // The main side's incoming calls come from the mini process, and the other way round.
        this.Main = IpcConnection.Start(mainStream, this.MainRegistry, miniIdentity ?? MiniIdentity, mainOptions, loggers.CreateLogger("main"));
        this.Mini = IpcConnection.Start(miniStream, this.MiniRegistry, MainIdentity, miniOptions, loggers.CreateLogger("mini"));
    }

    public IpcEventRegistry MainRegistry { get; }

    public IpcEventRegistry MiniRegistry { get; }

    public IpcConnection Main { get; }

    public IpcConnection Mini { get; }

    public async ValueTask DisposeAsync()
    {
        await this.Mini.DisposeAsync();
        await this.Main.DisposeAsync();
    }
}
