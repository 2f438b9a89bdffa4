using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;
using Nerdbank.Streams;

namespace IpcBroker.MiniProcess;

/// <summary>
/// What a spare mini process does while it waits for its launch line: runs the broker's call path once each way over an
/// in-memory pair of connections, so that the first real call after binding does not pay for compiling it (the
/// multiplexing stream, StreamJsonRpc's dispatch, the MessagePack formatters of a bundle, the handler invocation).
/// </summary>
/// <remarks>
/// Runs only the broker's own code, with no mini program's plugin, before the process knows which mini program it will
/// serve. Bounded by <see cref="Budget"/>; whatever goes wrong is logged and ignored (the warm-up only saves time).
/// </remarks>
internal static class SpareWarmUp
{
    /// <summary>The longest the warm-up may take; past it the spare goes on to wait for its launch line.</summary>
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    private static readonly IpcCaller MainPeer = new(IpcSide.Main, "spare-warm-up", MiniAppVerType.Release, 0);
    private static readonly IpcCaller MiniPeer = new(IpcSide.Mini, "spare-warm-up", MiniAppVerType.Release, 0);

    /// <summary>Runs one call each way over an in-memory pair, within <see cref="Budget"/>.</summary>
    /// <param name="logger">Where a failure is logged.</param>
    /// <returns>A task that completes when the warm-up is over (never faults).</returns>
    public static async Task RunAsync(ILogger logger)
    {
        try
        {
            (Stream mainStream, Stream miniStream) = FullDuplexStream.CreatePair();
            var mainRegistry = new IpcEventRegistry(IpcSide.Main);
            mainRegistry.Register(new MainEcho());
            var miniRegistry = new IpcEventRegistry(IpcSide.Mini);
            miniRegistry.Register(new MiniEcho());
            await using IpcConnection main = IpcConnection.Start(mainStream, mainRegistry, MiniPeer, null, null);
            await using IpcConnection mini = IpcConnection.Start(miniStream, miniRegistry, MainPeer, null, null);
            Bundle sample = new Bundle().PutInt("i", 1).PutLong("l", 2).PutString("s", "warm").PutBoolean("b", true).PutByteArray("a", [1, 2, 3]);
            using var budget = new CancellationTokenSource(Budget);
            IpcResult fromMini = await mini.CallAsync(MainEcho.EventId, sample, cancellationToken: budget.Token).ConfigureAwait(false);
            IpcResult fromMain = await main.CallAsync(MiniEcho.EventId, sample, cancellationToken: budget.Token).ConfigureAwait(false);
            if (!fromMini.IsSuccess || !fromMain.IsSuccess)
            {
                logger.LogDebug("The spare's warm-up calls failed: {Mini} {Main}.", fromMini.ErrorMessage, fromMain.ErrorMessage);
            }
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "The spare's warm-up failed; it waits for its launch line all the same.");
        }
    }

    /// <summary>The main side of the warm-up pair.</summary>
    [IpcMainPlugin]
    private sealed class MainEcho
    {
        public const string EventId = "ipcbroker.spare.warm-up.main";

        [IpcEvent(EventId)]
        public Bundle Echo(IpcRequest request) => request.Data;
    }

    /// <summary>The mini side of the warm-up pair, answering as a mini program's plugin does.</summary>
    [IpcMiniPlugin]
    private sealed class MiniEcho
    {
        public const string EventId = "ipcbroker.spare.warm-up.mini";

        [IpcEvent(EventId)]
        public Task<Bundle> EchoAsync(IpcRequest request) => Task.FromResult(request.Data);
    }
}
