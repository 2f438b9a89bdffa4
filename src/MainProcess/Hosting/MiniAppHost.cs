using System.Diagnostics;
using System.Security.Cryptography;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// The main process's side of the broker: owns the pipe, starts mini program processes and admits only them, serves the
/// main-process plugins to them, and calls their mini-process plugins (<c>callMiniProcessPlugin</c>).
/// </summary>
/// <remarks>
/// <para>Thread-safe. Starting the same mini program twice at once starts one process. Disposal stops every mini
/// program, closes the pipe and removes its directory.</para>
/// <para>Each call's outcome arrives exactly once: the answer, the call's deadline, cancellation, the mini process's
/// disconnection or death (noticed from the socket and from the process exit, whichever comes first), or
/// <see cref="IpcErrorCode.ProcessNotRunning"/> when the target has no process.</para>
/// </remarks>
public sealed class MiniAppHost : IAsyncDisposable
{
    private readonly object gate = new();
    private readonly Dictionary<MiniAppKey, MiniAppSession> sessions = [];
    private readonly Dictionary<MiniAppKey, Task<MiniAppSession>> starting = [];
    private readonly MiniAppHostOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly PipeListener listener;
    private readonly MiniProcessLauncher launcher;
    private bool disposed;

    private MiniAppHost(IpcEventRegistry registry, MiniAppHostOptions options, ILoggerFactory loggerFactory, string pipePath)
    {
        this.Registry = registry;
        this.options = options;
        this.loggerFactory = loggerFactory;
        this.logger = loggerFactory.CreateLogger("IpcBroker.MainProcess");
        this.launcher = new MiniProcessLauncher(options.MiniExecutablePath, this.logger);
        this.launcher.Validate();
        this.listener = new PipeListener(pipePath, options.HandshakeTimeout, this.logger);
    }

    /// <summary>Raised once for every mini process that ends, for whatever reason, after its calls have been failed.</summary>
    /// <remarks>Raised on a thread-pool thread; an exception thrown by a handler is logged and ignored.</remarks>
    public event EventHandler<MiniProcessExitedEventArgs>? MiniProcessExited;

    /// <summary>Gets the socket path mini processes connect to.</summary>
    public string PipePath => this.listener.PipePath;

    /// <summary>Gets the main-process events this host answers.</summary>
    public IpcEventRegistry Registry { get; }

    /// <summary>Gets the running mini programs.</summary>
    public IReadOnlyList<MiniAppInfo> RunningMiniApps
    {
        get
        {
            lock (this.gate)
            {
                return this.sessions.Values.Select(s => s.Snapshot()).OrderBy(s => s.StartedAt).ToList();
            }
        }
    }

    /// <summary>Creates the private pipe directory and starts listening.</summary>
    /// <param name="registry">The main-process events to serve.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="loggerFactory">Where to log, or null.</param>
    /// <returns>The listening host.</returns>
    /// <exception cref="IpcConfigurationException">When the pipe path is too long or the mini executable is missing.</exception>
    /// <exception cref="IOException">When a pipe already exists at the path (another host holds it).</exception>
    public static MiniAppHost Start(IpcEventRegistry registry, MiniAppHostOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (registry.Side != IpcSide.Main)
        {
            throw new ArgumentException("The host serves a main-side registry.", nameof(registry));
        }

        options ??= new MiniAppHostOptions();
        string pipePath = PipeLocation.CreatePrivateSocketPath(options.RuntimeDirectory);
        try
        {
            var host = new MiniAppHost(registry, options, loggerFactory ?? NullLoggerFactory.Instance, pipePath);
            host.listener.Start();
            HostLog.Listening(host.logger, pipePath);
            return host;
        }
        catch
        {
            PipeLocation.Delete(pipePath);
            throw;
        }
    }

    /// <summary>
    /// Opens a mini program: starts its process and waits until it has connected, or — when it is already running —
    /// reactivates it (no new process; it becomes the most recently used).
    /// </summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <param name="cancellationToken">Cancels the wait only: a start under way goes on, and its mini program can be stopped as usual.</param>
    /// <returns>The running mini program.</returns>
    /// <exception cref="MiniAppStartException">When the process could not start or did not connect within <see cref="MiniAppHostOptions.StartTimeout"/>.</exception>
    public async Task<MiniAppInfo> StartMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release, CancellationToken cancellationToken = default)
    {
        var key = new MiniAppKey(appId, verType);
        key.Validate();
        Task<MiniAppSession> start;
        lock (this.gate)
        {
            ObjectDisposedException.ThrowIf(this.disposed, this);
            if (this.sessions.TryGetValue(key, out MiniAppSession? running) && running.Connection.IsConnected)
            {
                running.Touch();
                HostLog.Reactivated(this.logger, key, running.ProcessId);
                return running.Snapshot();
            }

            if (!this.starting.TryGetValue(key, out start!))
            {
                start = this.LaunchAsync(key);
                this.starting[key] = start;
            }
        }

        MiniAppSession session = await start.WaitAsync(cancellationToken).ConfigureAwait(false);
        return session.Snapshot();
    }

    /// <summary>Calls a mini-process plugin and awaits its one outcome (the awaitable form of <c>callMiniProcessPlugin</c>).</summary>
    /// <param name="appId">The mini program; its release build if running, else its most recently used build.</param>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    /// <returns>The outcome; never faults. <see cref="IpcErrorCode.ProcessNotRunning"/> when the mini program has no process.</returns>
    public Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? callOptions = null) =>
        this.CallCoreAsync(this.Find(appId, null), appId, eventId, request, callOptions);

    /// <summary>Calls a plugin in one build of a mini program and awaits its one outcome.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    /// <returns>The outcome; never faults.</returns>
    public Task<IpcResult> CallMiniProcessPluginAsync(string appId, MiniAppVerType verType, string eventId, Bundle? request, IpcCallOptions? callOptions = null) =>
        this.CallCoreAsync(this.Find(appId, verType), appId, eventId, request, callOptions);

    /// <summary>Calls a mini-process plugin in the SDK's callback form (<c>callMiniProcessPlugin(appId, eventId, request, callback)</c>).</summary>
    /// <param name="appId">The mini program; its release build if running, else its most recently used build.</param>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callback">Called exactly once with the outcome, on a thread-pool thread.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    public void CallMiniProcessPlugin(string appId, string eventId, Bundle? request, IIpcCallback callback, IpcCallOptions? callOptions = null)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _ = IpcConnection.DeliverAsync(this.CallMiniProcessPluginAsync(appId, eventId, request, callOptions), callback, eventId, this.logger);
    }

    /// <summary>Calls a plugin in one build of a mini program in the SDK's callback form (the overload with <c>appVerType</c>).</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callback">Called exactly once with the outcome, on a thread-pool thread.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    public void CallMiniProcessPlugin(string appId, MiniAppVerType verType, string eventId, Bundle? request, IIpcCallback callback, IpcCallOptions? callOptions = null)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _ = IpcConnection.DeliverAsync(this.CallMiniProcessPluginAsync(appId, verType, eventId, request, callOptions), callback, eventId, this.logger);
    }

    /// <summary>Stops a mini program (<c>stopMiniApp</c>): its pending calls fail with a reason, its process exits or is killed.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build; null stops every build of <paramref name="appId"/>.</param>
    /// <returns>Whether anything was running.</returns>
    public async Task<bool> StopMiniAppAsync(string appId, MiniAppVerType? verType = null)
    {
        List<MiniAppSession> victims;
        lock (this.gate)
        {
            victims = this.sessions.Values.Where(s => s.Key.AppId == appId && (verType is null || s.Key.VerType == verType)).ToList();
        }

        await this.StopSessionsAsync(victims, "the mini program was stopped").ConfigureAwait(false);
        return victims.Count > 0;
    }

    /// <summary>Stops every mini program (<c>stopAllMiniApp</c>).</summary>
    /// <returns>A task that completes when every process has exited.</returns>
    public async Task StopAllMiniAppAsync()
    {
        List<MiniAppSession> victims;
        lock (this.gate)
        {
            victims = [.. this.sessions.Values];
        }

        await this.StopSessionsAsync(victims, "every mini program was stopped").ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        List<Task<MiniAppSession>> inFlight;
        lock (this.gate)
        {
            if (this.disposed)
            {
                return;
            }

            this.disposed = true;
            inFlight = [.. this.starting.Values];
        }

        await this.listener.DisposeAsync().ConfigureAwait(false);

        // Starts in flight fail now that the listener is gone; wait for them so that their processes are cleaned up.
        foreach (Task<MiniAppSession> start in inFlight)
        {
            try
            {
                await start.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MiniAppStartException or ObjectDisposedException or OperationCanceledException)
            {
                // Reported to whoever started it.
            }
        }

        await this.StopAllMiniAppAsync().ConfigureAwait(false);
        PipeLocation.Delete(this.PipePath);
    }

    private async Task StopSessionsAsync(List<MiniAppSession> victims, string reason)
    {
        await Task.WhenAll(victims.Select(s => s.StopAsync(reason, this.options.ShutdownTimeout, this.logger))).ConfigureAwait(false);

        // Returns only once each is forgotten and its exit notice raised, so a caller sees no leftovers.
        await Task.WhenAll(victims.Select(s => s.Finished)).ConfigureAwait(false);
    }

    private MiniAppSession? Find(string appId, MiniAppVerType? verType)
    {
        lock (this.gate)
        {
            if (verType is { } exact)
            {
                return this.sessions.GetValueOrDefault(new MiniAppKey(appId, exact));
            }

            return this.sessions.GetValueOrDefault(new MiniAppKey(appId, MiniAppVerType.Release))
                ?? this.sessions.Values.Where(s => s.Key.AppId == appId).MaxBy(s => s.LastUsedAt);
        }
    }

    private Task<IpcResult> CallCoreAsync(MiniAppSession? session, string appId, string eventId, Bundle? request, IpcCallOptions? callOptions)
    {
        if (session is null)
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.ProcessNotRunning, $"The mini program '{appId}' has no running process."));
        }

        session.Touch();
        return session.Connection.CallAsync(eventId, request, callOptions);
    }

    private async Task<MiniAppSession> LaunchAsync(MiniAppKey key)
    {
        // Leave the caller's lock before doing any work.
        await Task.Yield();
        try
        {
            MiniAppSession session = await this.LaunchCoreAsync(key).ConfigureAwait(false);
            lock (this.gate)
            {
                this.sessions[key] = session;
            }

            _ = this.WatchAsync(session);
            return session;
        }
        finally
        {
            lock (this.gate)
            {
                this.starting.Remove(key);
            }
        }
    }

    private async Task<MiniAppSession> LaunchCoreAsync(MiniAppKey key)
    {
        byte[] secret = RandomNumberGenerator.GetBytes(Handshake.SecretBytes);
        var launch = new PendingLaunch(key, PipeListener.HashSecret(secret));
        var info = new MiniLaunchInfo(this.PipePath, Convert.ToBase64String(secret), key.AppId, key.VerType, Handshake.ProtocolVersion, Environment.ProcessId);
        var stderrTail = new StderrTail();
        this.listener.Expect(launch);
        Process process;
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        try
        {
            process = this.launcher.Start(launch, info, stderrTail);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException)
        {
            this.listener.Forget(launch);
            throw new MiniAppStartException($"Could not start the process for {key}: {ex.Message}");
        }

        HostLog.Started(this.logger, key, process.Id);
        try
        {
            using var timeout = new CancellationTokenSource(this.options.StartTimeout);
            Task exited = process.WaitForExitAsync(timeout.Token);
            Task winner = await Task.WhenAny(launch.Connected, exited).ConfigureAwait(false);
            if (winner != launch.Connected)
            {
                string why = process.HasExited
                    ? $"its process exited with code {process.ExitCode} before connecting"
                    : $"it did not connect within {this.options.StartTimeout.TotalSeconds:0.#} s";
                string tail = stderrTail.ToString();
                throw new MiniAppStartException($"{key} did not start: {why}.{(tail.Length > 0 ? " Its last error output:" + Environment.NewLine + tail : string.Empty)}");
            }

            (System.IO.Pipes.NamedPipeServerStream pipe, PeerCredentials peer) = await launch.Connected.ConfigureAwait(false);
            HostLog.Connected(this.logger, key, process.Id, peer.ProcessId, peer.UserId);
            var caller = new IpcCaller(IpcSide.Mini, key.AppId, key.VerType, peer.ProcessId);
            IpcConnection connection = IpcConnection.Start(pipe, this.Registry, caller, this.options.Connection, this.loggerFactory.CreateLogger("IpcBroker.MainProcess.Connection"));
            return new MiniAppSession(key, process, connection, startedAt);
        }
        catch
        {
            this.listener.Forget(launch);
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            // Reap it before letting go, so that a failed start leaves no zombie.
            using var reaped = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await process.WaitForExitAsync(reaped.Token).ConfigureAwait(false);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Waits for a session's process to end, then fails its calls, forgets it and raises the exit notice.</summary>
    private async Task WatchAsync(MiniAppSession session)
    {
        // Both ends are watched: the process exit (a killed process's socket may be read late) and the connection
        // (a process that closes its pipe but lives on is of no use and is stopped).
        Task exited = session.Process.WaitForExitAsync();
        if (await Task.WhenAny(exited, session.Connection.Completion).ConfigureAwait(false) != exited && !session.StopRequested)
        {
            // Usually the process is dying and its socket closed first; if not, it is of no use without a connection.
            await session.StopAsync("the mini process closed its connection", this.options.ShutdownTimeout, this.logger, byHostApp: false).ConfigureAwait(false);
        }

        await exited.ConfigureAwait(false);
        int exitCode = session.Process.ExitCode;
        session.Connection.Close(IpcErrorCode.PeerDisconnected, $"the mini process {session.ProcessId} exited with code {exitCode}");
        lock (this.gate)
        {
            if (this.sessions.TryGetValue(session.Key, out MiniAppSession? current) && current == session)
            {
                this.sessions.Remove(session.Key);
            }
        }

        await session.Connection.Completion.ConfigureAwait(false);
        session.Process.Dispose();
        var notice = new MiniProcessExitedEventArgs(session.Key.AppId, session.Key.VerType, session.ProcessId, exitCode, session.StopRequested);
        HostLog.Exited(this.logger, notice);
        try
        {
            this.MiniProcessExited?.Invoke(this, notice);
        }
        catch (Exception ex)
        {
            HostLog.ExitHandlerThrew(this.logger, ex);
        }
        finally
        {
            session.MarkFinished();
        }
    }
}
