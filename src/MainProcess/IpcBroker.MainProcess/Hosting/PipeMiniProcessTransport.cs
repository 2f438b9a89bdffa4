using System.IO.Pipes;
using System.Security.Cryptography;
using IpcBroker.MainProcess.Hosting.Platform;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// The real transport: starts each mini process with <see cref="MiniProcessLauncher"/>, hands it one launch line with a
/// one-time secret on its standard input, and admits it on the host's private Unix socket (<see cref="PipeListener"/>) when
/// it presents that secret from that process.
/// </summary>
/// <remarks>Thread-safe. Disposal stops listening, fails the launches not yet connected, and removes the socket.</remarks>
internal sealed class PipeMiniProcessTransport : IMiniProcessTransport
{
    /// <summary>Whom a spare's log lines name until it is bound.</summary>
    private static readonly MiniAppKey SpareKey = new("(spare)", MiniAppVerType.Release);

    private readonly MiniAppHostOptions options;
    private readonly ILogger logger;
    private readonly PipeListener listener;

    /// <param name="options">The host's settings.</param>
    /// <param name="pipePath">The socket, in a private directory the caller created.</param>
    /// <param name="loggerFactory">Where the host and the children's output log.</param>
    /// <exception cref="IpcConfigurationException">When the mini executable is missing or the launcher's settings are not valid.</exception>
    public PipeMiniProcessTransport(MiniAppHostOptions options, string pipePath, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.logger = loggerFactory.CreateLogger("IpcBroker.MainProcess");
        this.Launcher = new MiniProcessLauncher(options.MiniExecutablePath, options, pipePath, loggerFactory.CreateLogger("IpcBroker.MainProcess.ChildOutput"), this.logger, loggerFactory.CreateLogger(ChildOutputLog.MiniProgramCategory));
        this.Launcher.Validate();
        this.listener = new PipeListener(pipePath, options.HandshakeTimeout, this.logger, options.AfterAccept) { StartTimeout = options.StartTimeout };
    }

    /// <inheritdoc/>
    public string Address => this.listener.PipePath;

    /// <inheritdoc/>
    public MiniProcessProtections Protections => this.Launcher.Protections;

    /// <summary>Gets the launcher, for the sweep of a dead host's leftovers at start.</summary>
    public MiniProcessLauncher Launcher { get; }

    /// <summary>Starts listening and logs the protections mini processes get.</summary>
    public void Start()
    {
        this.listener.Start();
        HostLog.Listening(this.logger, this.Address);
        this.Launcher.LogProtections();
    }

    /// <inheritdoc/>
    public IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory)
    {
        MiniProcessHandle handle = this.Launcher.Start(() => key, key, sandboxDirectory);
        handle.LastKey = key;
        return handle;
    }

    /// <inheritdoc/>
    public bool SupportsSpares => true;

    /// <inheritdoc/>
    public SpareLaunch LaunchSpare()
    {
        MiniProcessHandle? started = null;
        MiniProcessHandle handle = this.Launcher.Start(() => started?.LastKey ?? SpareKey, SpareKey, sandboxDirectory: null, spare: true);
        started = handle;
        handle.LastKey = SpareKey;
        int pid = handle.ProcessId;
        this.listener.HoldForSpare(pid);
        _ = handle.Exited.ContinueWith(_ => this.listener.ReleaseSpare(pid), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new SpareLaunch(handle, handle.SpareReadiness!.Ready);
    }

    /// <inheritdoc/>
    public async Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked)
    {
        var handle = (MiniProcessHandle)process;
        byte[] secret = RandomNumberGenerator.GetBytes(Handshake.SecretBytes);
        var launch = new PendingLaunch(key, PipeListener.HashSecret(secret), handle.ProcessId);

        // Whether the accepted pipe has been handed on; until then a failure here must close it.
        bool pipeHandedOn = false;
        try
        {
            this.listener.Expect(launch);

            // A spare being bound: from here its connection has its launch's start time, as any start's (after Expect: no gap).
            this.listener.ReleaseSpare(handle.ProcessId);
            handle.LastKey = key;

            // Registered after Expect: a revocation before it fails the launch at once, one after it fails it as it happens.
            using CancellationTokenRegistration revocation = revoked.Register(() => launch.TryFail(new OperationCanceledException("The start was revoked.", revoked)));
            var info = new MiniLaunchInfo(this.Address, Convert.ToBase64String(secret), key.AppId, key.VerType, Handshake.ProtocolVersion, Environment.ProcessId, sandboxDirectory, handle.SocketFd);
            if (!handle.TrySendLaunchLine(info))
            {
                throw new MiniAppStartException($"{key} did not start: its process {handle.ProcessId} no longer reads its standard input.");
            }

            Task timeout = Task.Delay(this.options.StartTimeout);
            if (await Task.WhenAny(launch.Connected, handle.Exited, timeout).ConfigureAwait(false) != launch.Connected)
            {
                if (this.options.BeforeAbandoningStart is { } hook)
                {
                    await hook(launch).ConfigureAwait(false);
                }

                string why = handle.Exited.IsCompleted
                    ? $"its process exited with code {handle.ExitCode} before connecting"
                    : $"it did not connect within {this.options.StartTimeout.TotalSeconds:0.#} s";
                string tail = handle.StderrTail.ToString();
                throw new MiniAppStartException($"{key} did not start: {why}.{(tail.Length > 0 ? " Its last error output:" + Environment.NewLine + tail : string.Empty)}");
            }

            (NamedPipeServerStream pipe, PeerCredentials peer) = await launch.Connected.ConfigureAwait(false);
            pipeHandedOn = true;
            return new MiniProcessLink(pipe, peer.ProcessId, peer.UserId);
        }
        catch
        {
            this.listener.Forget(launch);

            // The listener may have admitted the process just as this start gave up (timeout, exit, revocation): failing the
            // launch decides the race. If the admission won, its pipe is this start's to close, or it would leak.
            if (!pipeHandedOn && !launch.TryFail(new MiniAppStartException($"{key} gave up its start.")) && launch.Connected.IsCompletedSuccessfully)
            {
                (NamedPipeServerStream abandoned, _) = await launch.Connected.ConfigureAwait(false);
                await abandoned.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        // Starts still waiting for a connection fail once the listener is gone.
        await this.listener.DisposeAsync().ConfigureAwait(false);
        HostPlatform.Current.DeleteSocket(this.Address);
    }
}
