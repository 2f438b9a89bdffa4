using IpcBroker.MainProcess.Hosting;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;

namespace IpcBroker.Testing;

/// <summary>Makes test brokers.</summary>
public static class IpcTestBroker
{
    /// <summary>
    /// A main side and mini sides in this process, joined by in-memory duplex streams: fast, and the mini side can be
    /// driven from the test. <paramref name="configureMiniPlugins"/> registers each mini program's plugins.
    /// </summary>
    /// <param name="configureMiniPlugins">Registers the plugins of a mini program: called per opened mini program with its appId, its registry, and its way to the main process.</param>
    /// <param name="loggerFactory">Where both sides log.</param>
    /// <param name="connection">Connection settings for both sides.</param>
    /// <returns>The broker.</returns>
    public static IIpcTestBroker InMemory(Action<string, IpcEventRegistry, IMainProcessCaller>? configureMiniPlugins = null, ILoggerFactory? loggerFactory = null, IpcConnectionOptions? connection = null) =>
        new InMemoryBroker(configureMiniPlugins, loggerFactory ?? NullLoggerFactory.Instance, connection ?? IpcConnectionOptions.Default);

    /// <summary>A real host over a real pipe, starting <paramref name="miniExecutablePath"/> (which holds the mini plugins) for each mini program.</summary>
    /// <param name="miniExecutablePath">The mini program executable (.dll or native).</param>
    /// <param name="loggerFactory">Where the host logs.</param>
    /// <param name="options">Further host settings; its executable path and observer are set by the kit.</param>
    /// <returns>The broker.</returns>
    public static IIpcTestBroker WithProcesses(string miniExecutablePath, ILoggerFactory? loggerFactory = null, MiniAppHostOptions? options = null) =>
        new ProcessBroker(miniExecutablePath, loggerFactory ?? NullLoggerFactory.Instance, options ?? new MiniAppHostOptions());

    private sealed class InMemoryBroker(Action<string, IpcEventRegistry, IMainProcessCaller>? configureMiniPlugins, ILoggerFactory loggers, IpcConnectionOptions connection) : IIpcTestBroker
    {
        private readonly Dictionary<string, (IpcConnection Main, IpcConnection Mini)> apps = [];
        private int nextPid = 100_000;

        public IpcEventRegistry MainRegistry { get; } = new(IpcSide.Main);

        public CallRecorder Recorder { get; } = new();

        public Task<IpcTestMiniApp> OpenMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release)
        {
            lock (this.apps)
            {
                if (this.apps.ContainsKey(appId))
                {
                    throw new InvalidOperationException($"'{appId}' is open already.");
                }

                (Stream mainEnd, Stream miniEnd) = FullDuplexStream.CreatePair();
                var miniRegistry = new IpcEventRegistry(IpcSide.Mini);
                int pid = Interlocked.Increment(ref this.nextPid);
                IpcConnection main = IpcConnection.Start(mainEnd, this.MainRegistry, new IpcCaller(IpcSide.Mini, appId, verType, pid), connection with { Observer = this.Recorder }, loggers.CreateLogger("IpcBroker.Testing.Main"));
                IpcConnection mini = IpcConnection.Start(miniEnd, miniRegistry, new IpcCaller(IpcSide.Main, appId, verType, Environment.ProcessId), connection, loggers.CreateLogger("IpcBroker.Testing.Mini." + appId));
                this.apps[appId] = (main, mini);
                var caller = new ConnectionCaller(mini);

                // The registry is consulted per call, so plugins registered now serve the first call already.
                configureMiniPlugins?.Invoke(appId, miniRegistry, caller);
                return Task.FromResult(new IpcTestMiniApp(appId, verType, pid, caller));
            }
        }

        public Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? options = null)
        {
            lock (this.apps)
            {
                return this.apps.TryGetValue(appId, out var app)
                    ? app.Main.CallAsync(eventId, request, options)
                    : Task.FromResult(IpcResult.Failure(IpcErrorCode.ProcessNotRunning, $"The mini program '{appId}' is not open."));
            }
        }

        public async Task StopMiniAppAsync(string appId)
        {
            (IpcConnection Main, IpcConnection Mini) app;
            lock (this.apps)
            {
                if (!this.apps.Remove(appId, out app))
                {
                    return;
                }
            }

            app.Main.Close(IpcErrorCode.PeerDisconnected, "the mini program was stopped");
            await app.Mini.DisposeAsync().ConfigureAwait(false);
            await app.Main.DisposeAsync().ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            string[] open;
            lock (this.apps)
            {
                open = [.. this.apps.Keys];
            }

            foreach (string appId in open)
            {
                await this.StopMiniAppAsync(appId).ConfigureAwait(false);
            }
        }

        private sealed class ConnectionCaller(IpcConnection connection) : IMainProcessCaller
        {
            public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) => connection.CallAsync(eventId, request, options, cancellationToken);
        }
    }

    private sealed class ProcessBroker(string miniExecutablePath, ILoggerFactory loggers, MiniAppHostOptions options) : IIpcTestBroker
    {
        private MiniAppHost? host;

        public IpcEventRegistry MainRegistry { get; } = new(IpcSide.Main);

        public CallRecorder Recorder { get; } = new();

        private MiniAppHost Host => this.host ??= MiniAppHost.Start(
            this.MainRegistry,
            options with { MiniExecutablePath = miniExecutablePath, Connection = options.Connection with { Observer = this.Recorder } },
            loggers);

        public async Task<IpcTestMiniApp> OpenMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release)
        {
            MiniAppInfo info = await this.Host.StartMiniAppAsync(appId, verType).ConfigureAwait(false);
            return new IpcTestMiniApp(appId, verType, info.ProcessId, null);
        }

        public Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? callOptions = null) =>
            this.Host.CallMiniProcessPluginAsync(appId, eventId, request, callOptions);

        public Task StopMiniAppAsync(string appId) => this.Host.StopMiniAppAsync(appId);

        public async ValueTask DisposeAsync()
        {
            if (this.host is not null)
            {
                await this.host.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
