using IpcBroker.MainProcess.Hosting;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.Testing;

/// <summary>Makes test brokers: each runs the real <see cref="MiniAppHost"/>, over in-memory streams or with real processes.</summary>
public static class IpcTestBroker
{
    /// <summary>
    /// The real host with its mini sides in this process, joined by in-memory duplex streams: fast, and the mini side can be
    /// driven from the test. <paramref name="configureMiniPlugins"/> registers each mini program's plugins, once per process.
    /// </summary>
    /// <param name="configureMiniPlugins">Registers the plugins of a mini program: called per started mini program with its appId, its registry, and its way to the main process.</param>
    /// <param name="loggerFactory">Where both sides log.</param>
    /// <param name="connection">Connection settings for both sides; null: the main side's from <paramref name="options"/>, the mini side's the defaults.</param>
    /// <param name="options">Host settings (the cap, the policy, the timeouts); what concerns real processes (executable, sandbox, socket) is not used.</param>
    /// <returns>The broker.</returns>
    public static IIpcTestBroker InMemory(Action<string, IpcEventRegistry, IMainProcessCaller>? configureMiniPlugins = null, ILoggerFactory? loggerFactory = null, IpcConnectionOptions? connection = null, MiniAppHostOptions? options = null)
    {
        ILoggerFactory loggers = loggerFactory ?? NullLoggerFactory.Instance;
        options ??= new MiniAppHostOptions();
        if (connection is not null)
        {
            options = options with { Connection = connection };
        }

        var transport = new InMemoryMiniProcessTransport(configureMiniPlugins, connection ?? IpcConnectionOptions.Default, loggers);
        return new HostedTestBroker(
            (registry, recorder) => MiniAppHost.StartWithTransport(registry, WithObserver(options, recorder), loggers, transport),
            transport.CallerOf);
    }

    /// <summary>A real host over a real pipe, starting <paramref name="miniExecutablePath"/> (which holds the mini plugins) for each mini program.</summary>
    /// <param name="miniExecutablePath">The mini program executable (.dll or native).</param>
    /// <param name="loggerFactory">Where the host logs.</param>
    /// <param name="options">Further host settings; its executable path and observer are set by the kit.</param>
    /// <returns>The broker.</returns>
    public static IIpcTestBroker WithProcesses(string miniExecutablePath, ILoggerFactory? loggerFactory = null, MiniAppHostOptions? options = null)
    {
        ILoggerFactory loggers = loggerFactory ?? NullLoggerFactory.Instance;
        MiniAppHostOptions settings = (options ?? new MiniAppHostOptions()) with { MiniExecutablePath = miniExecutablePath };
        return new HostedTestBroker((registry, recorder) => MiniAppHost.Start(registry, WithObserver(settings, recorder), loggers), callerOf: null);
    }

    private static MiniAppHostOptions WithObserver(MiniAppHostOptions options, CallRecorder recorder) =>
        options with { Connection = options.Connection with { Observer = recorder } };

    /// <summary>A test broker over a real host, started at first use (so that plugins can be registered before).</summary>
    /// <param name="startHost">Starts the host on the main registry, with the recorder as its connections' observer.</param>
    /// <param name="callerOf">In memory, the mini side's way to the main process by process id; null with real processes.</param>
    private sealed class HostedTestBroker(Func<IpcEventRegistry, CallRecorder, MiniAppHost> startHost, Func<int, IMainProcessCaller?>? callerOf) : IIpcTestBroker
    {
        private readonly object gate = new();
        private MiniAppHost? host;
        private bool disposed;

        public event EventHandler<MiniProcessExitedEventArgs>? MiniProcessExited;

        public IpcEventRegistry MainRegistry { get; } = new(IpcSide.Main);

        public CallRecorder Recorder { get; } = new();

        public int MaxMiniProcesses => this.Host.MaxMiniProcesses;

        public IReadOnlyList<int> ProcessIds => this.Host.ProcessIds;

        public IReadOnlyList<MiniAppInfo> RunningMiniApps => this.Host.RunningMiniApps;

        private MiniAppHost Host
        {
            get
            {
                lock (this.gate)
                {
                    ObjectDisposedException.ThrowIf(this.disposed, this);
                    if (this.host is null)
                    {
                        this.host = startHost(this.MainRegistry, this.Recorder);
                        this.host.MiniProcessExited += (_, e) => this.MiniProcessExited?.Invoke(this, e);
                    }

                    return this.host;
                }
            }
        }

        public async Task<IpcTestMiniApp> OpenMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release, CancellationToken cancellationToken = default)
        {
            MiniAppInfo info = await this.Host.StartMiniAppAsync(appId, verType, cancellationToken).ConfigureAwait(false);
            IMainProcessCaller? main = callerOf?.Invoke(info.ProcessId);
            return new IpcTestMiniApp(appId, verType, info.ProcessId, main);
        }

        public Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) =>
            CancellableCall.RunAsync(o => this.Host.CallMiniProcessPluginAsync(appId, eventId, request, o), options, cancellationToken);

        public Task StopMiniAppAsync(string appId, CancellationToken cancellationToken = default) =>
            this.Host.StopMiniAppAsync(appId, null, cancellationToken);

        public void SignIn(string userId) => this.Host.SignIn(userId);

        public Task LogoutAsync(CancellationToken cancellationToken = default) => this.Host.LogoutAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            MiniAppHost? started;
            lock (this.gate)
            {
                if (this.disposed)
                {
                    return;
                }

                this.disposed = true;
                started = this.host;
            }

            if (started is not null)
            {
                await started.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
