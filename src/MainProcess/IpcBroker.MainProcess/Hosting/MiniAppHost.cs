using System.Diagnostics;
using System.Globalization;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.MainProcess.Hosting.Platform;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// The main process's side of the broker: owns the mini program processes — starts them (one per mini program,
/// at most <see cref="MiniAppHostOptions.MaxMiniProcesses"/>; at the cap the least recently used one is stopped to make
/// room), admits only them, serves the main-process plugins to them, calls their plugins (<c>callMiniProcessPlugin</c>),
/// notices their deaths, and stops them all when the user logs out.
/// </summary>
/// <remarks>
/// <para>Thread-safe. Opening the same mini program twice at once starts it once. Disposal stops every mini program,
/// closes the pipe and removes its directory.</para>
/// <para>How a mini process is started and reached is its transport's (<see cref="IMiniProcessTransport"/>): a real process
/// admitted on a private Unix socket (<see cref="Start(IpcEventRegistry, MiniAppHostOptions?, ILoggerFactory?)"/>), or the
/// testing kit's mini side in memory. The pool of process slots is <see cref="MiniProcessSlots"/>, each process's record
/// <see cref="HostedMiniProcess"/>, each mini program's connection <see cref="MiniAppSession"/>; the rest (the session
/// table, the signed-in user and logout, the order of starts and stops) is here, under one lock.</para>
/// <para>Each call's outcome arrives exactly once: the answer, the call's deadline, cancellation, the mini program's stop
/// or eviction, the process's disconnection or death (noticed from the socket and from the process exit, whichever comes
/// first), <see cref="IpcErrorCode.LoggedOut"/>, or <see cref="IpcErrorCode.ProcessNotRunning"/> when the target has no process.</para>
/// <para>A process serves one mini program for its whole life and gets one launch line: its sandbox cannot be widened once
/// applied, and a process that ran one mini program (and may have been compromised there) must never hold another's
/// one-time secret or files. So at the cap the least recently used mini program is stopped like any other, and the new one
/// gets a fresh process in its slot. Closing a process's standard input is the shutdown message; the process is killed if it
/// has not exited within <see cref="MiniAppHostOptions.ShutdownTimeout"/>.</para>
/// </remarks>
public sealed class MiniAppHost : IAsyncDisposable
{
    /// <summary>
    /// The longest of the host's own timeouts (start, handshake, shutdown, reap) and of its connections' stall and idle
    /// timeouts: ten minutes. A longer one is refused at start, since it is in practice a unit mistake (a bare "3" from
    /// configuration is three days) that would leave a stop or a start hanging.
    /// </summary>
    internal static readonly TimeSpan MaxHostTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The category of the host's own log lines.</summary>
    private const string LoggerCategory = "IpcBroker.MainProcess";

    /// <summary>The longest call timeout a host's connections may set (the default, the most and each event's): one day.</summary>
    internal static readonly TimeSpan MaxCallTimeout = TimeSpan.FromDays(1);

    private readonly object gate = new();
    private readonly MiniProgramLifecycle miniPrograms;
    private readonly Dictionary<MiniAppKey, MiniAppSession> sessions = [];
    private readonly Dictionary<MiniAppKey, Task<MiniAppSession>> starting = [];
    private readonly MiniProcessSlots slots;
    private readonly MiniAppHostOptions options;
    private readonly IpcConnectionOptions connectionOptions;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly IMiniProcessTransport transport;
    private readonly List<Func<Task>> logoutParticipants = [];

    /// <summary>The spare processes alive and not bound (<see cref="MiniAppHostOptions.SpareProcesses"/>); not in <see cref="slots"/>.</summary>
    private readonly List<SpareProcess> spares = [];

    /// <summary>The spare starts under way (each waits out the back-off, then starts its process); disposal waits for them.</summary>
    private readonly HashSet<Task> spareLaunches = [];

    /// <summary>Cancelled at disposal: ends the back-off waits of spare starts.</summary>
    private readonly CancellationTokenSource sparesEnded = new();
    private readonly StartBackOff backOff;

    /// <summary>
    /// Per mini program: the deaths at start of its own processes, which die after their launch line (its code may run then,
    /// so they back off only its own opens, never another's). An entry goes when a start of it binds.
    /// </summary>
    private readonly Dictionary<MiniAppKey, StartBackOff> appBackOffs = [];
    private TaskCompletionSource sparesChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int spareLaunchesUnderWay;

    /// <summary>
    /// Cancelled at logout: revokes every start of the epoch before it (its process is not admitted after). Replaced under the
    /// lock with the epoch; never disposed, because a start of the old epoch may still register on its token.
    /// </summary>
    private CancellationTokenSource startsRevoked = new();
    private string? userId;
    private long epoch;

    /// <summary>Logouts begun and not yet through their participants; no user signs in meanwhile.</summary>
    private int logoutsUnderWay;
    private bool disposed;
    private Task? disposal;

    /// <summary>Gets the mapped mini programs' lifecycle (tests).</summary>
    internal MiniProgramLifecycle Lifecycle => this.miniPrograms;

    private MiniAppHost(IpcEventRegistry registry, MiniAppHostOptions options, ILoggerFactory loggerFactory, IMiniProcessTransport transport, MiniProgramLifecycle miniPrograms)
    {
        this.miniPrograms = miniPrograms;
        this.Registry = registry;
        this.options = options;

        // One budget for every mini process's payloads, so that together they cannot make the host buffer more than it.
        this.connectionOptions = options.Connection.SharedPayloadBudget is null
            ? options.Connection with { SharedPayloadBudget = new PayloadBudget(options.MaxPayloadBytesAcrossMiniProcesses) }
            : options.Connection;

        // The policy on every connection: each asks about the caller it was bound to at the handshake.
        this.connectionOptions = this.connectionOptions with { CallAuthorizer = MiniAppPolicyAuthorizer.For(options.Policy, options.Connection.CallAuthorizer) };
        this.loggerFactory = loggerFactory;
        this.logger = loggerFactory.CreateLogger(LoggerCategory);
        this.transport = transport;
        this.slots = new MiniProcessSlots(options.MaxMiniProcesses);
        this.backOff = new StartBackOff(options.StartFailuresBeforeBackOff, options.StartBackOffFirst, options.StartBackOffCap);
    }

    /// <summary>Raised once for every mini program process that ends, for whatever reason, after its calls have been failed (Binder's linkToDeath).</summary>
    /// <remarks>Raised on a thread-pool thread; an exception thrown by a handler is logged and ignored.</remarks>
    public event EventHandler<MiniProcessExitedEventArgs>? MiniProcessExited;

    /// <summary>Gets the socket path mini processes connect to ("in-memory" for the testing kit's in-memory host).</summary>
    public string PipePath => this.transport.Address;

    /// <summary>Gets the protections every mini process this host starts gets, and what this machine lacks (probed once, at start).</summary>
    public MiniProcessProtections Protections => this.transport.Protections;

    /// <summary>Gets the main-process events this host answers.</summary>
    public IpcEventRegistry Registry { get; }

    /// <summary>Gets which mini programs this host starts and which events each may call (<see cref="MiniAppHostOptions.Policy"/>).</summary>
    public MiniAppPolicy Policy => this.options.Policy;

    /// <summary>Gets the most mini program processes alive at once.</summary>
    public int MaxMiniProcesses => this.options.MaxMiniProcesses;

    /// <summary>Gets the signed-in user, or null.</summary>
    public string? UserId
    {
        get
        {
            lock (this.gate)
            {
                return this.userId;
            }
        }
    }

    /// <summary>Gets the mini programs that are running or stopping, oldest first.</summary>
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

    /// <summary>Gets the ids of the mini program processes alive now, including ones starting or stopping.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (this.gate)
            {
                return this.slots.Processes.Select(p => p.ProcessId).Order().ToList();
            }
        }
    }

    /// <summary>
    /// Gets the spare processes alive now (<see cref="MiniAppHostOptions.SpareProcesses"/>): started, bound to no mini program,
    /// oldest first. They are not in <see cref="ProcessIds"/> or <see cref="RunningMiniApps"/> and not counted in
    /// <see cref="MaxMiniProcesses"/>; a spare that is bound leaves this list and runs its mini program as any other process.
    /// </summary>
    /// <returns>The snapshot.</returns>
    public IReadOnlyList<MiniSpareInfo> GetSpareProcesses()
    {
        lock (this.gate)
        {
            return this.spares.Select(s => s.Snapshot()).OrderBy(s => s.StartedAt).ToList();
        }
    }

    /// <summary>
    /// Waits until as many spares as <see cref="MiniAppHostOptions.SpareProcesses"/> are alive and ready to bind (their .NET
    /// runtime up, waiting for their launch line): an open from then on binds one quickly. Completes at once when spares are
    /// off (0), the host's transport starts none (the testing kit's in memory), or a <see cref="MiniAppHostOptions.SandboxRoot"/>
    /// is set (no spare could be bound, so none is kept).
    /// </summary>
    /// <param name="cancellationToken">Ends the wait; a mini executable that keeps dying at start keeps it waiting (the host backs off and logs why).</param>
    /// <returns>A task that completes when the spares are ready.</returns>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> was cancelled first.</exception>
    /// <exception cref="ObjectDisposedException">When the host is disposed, or disposed meanwhile.</exception>
    public async Task WhenSparesReadyAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task changed;
            lock (this.gate)
            {
                ObjectDisposedException.ThrowIf(this.disposed, this);
                if (!this.KeepsSpares || this.spares.Count(s => s.IsReady) >= this.options.SpareProcesses)
                {
                    return;
                }

                changed = this.sparesChanged.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Creates the private pipe directory and starts listening.</summary>
    /// <param name="registry">The main-process events to serve.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="loggerFactory">Where to log, or null.</param>
    /// <returns>The listening host.</returns>
    /// <exception cref="IpcConfigurationException">
    /// When the pipe path is too long, the mini executable is missing, the cap is below 1, a time span is not valid (each of the
    /// host's timeouts and its connections' stall and idle timeouts must be positive and at most ten minutes, a call timeout
    /// positive and at most one day) or the policy is not valid (<see cref="MiniAppPolicy.Validate"/>).
    /// </exception>
    /// <exception cref="IOException">When a pipe already exists at the path (another host holds it).</exception>
    /// <exception cref="PlatformNotSupportedException">On a system the host has not been ported to (only Linux has a port), naming what is missing.</exception>
    public static MiniAppHost Start(IpcEventRegistry registry, MiniAppHostOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (registry.Side != IpcSide.Main)
        {
            throw new ArgumentException("The host serves a main-side registry.", nameof(registry));
        }

        // Before anything is made: on a system the host has no port to, it fails here, naming what is missing.
        IHostPlatform platform = HostPlatform.Current;
        platform.EnsureSupported();

        options = CopyAndValidate(options);
        loggerFactory ??= NullLoggerFactory.Instance;

        // Before anything is made: a package that breaks a rule is a configuration error.
        var miniPrograms = new MiniProgramLifecycle(options.MiniPrograms, loggerFactory.CreateLogger(LoggerCategory));
        string pipePath = platform.CreatePrivateSocketPath(options.RuntimeDirectory);
        try
        {
            var transport = new PipeMiniProcessTransport(options, pipePath, loggerFactory);
            var host = new MiniAppHost(registry, options, loggerFactory, transport, miniPrograms);
            transport.Start();

            // Which leftovers are stale, and how to remove them, is the platform's business.
            foreach (string stale in platform.RemoveStaleSocketDirectories(Path.GetDirectoryName(Path.GetDirectoryName(pipePath))!, DateTime.UtcNow))
            {
                HostLog.RemovedStalePipeDirectory(host.logger, stale);
            }

            // Off the start path: a dead host's scratch directory can hold whatever its minis wrote. Bounded, and logged.
            MiniProcessLauncher launcher = transport.Launcher;
            _ = Task.Run(() => launcher.RemoveStaleLeftovers(DateTime.UtcNow, DateTime.UtcNow + ScratchDirectory.StaleSweepBudget));

            // In the background: the host is usable at once, an open before the spare is up starts cold.
            if (options.SpareProcesses > 0 && options.SandboxRoot is not null)
            {
                HostLog.SparesNeverUsable(host.logger, "every mini program has a sandbox directory of its own (SandboxRoot), which a spare's sandbox lacks");
            }

            lock (host.gate)
            {
                host.ReplenishSparesLocked();
            }

            return host;
        }
        catch
        {
            platform.DeleteSocket(pipePath);
            throw;
        }
    }

    /// <summary>
    /// Starts a host whose mini processes start and connect through <paramref name="transport"/> (the testing kit's in-memory
    /// one): the same host logic as <see cref="Start(IpcEventRegistry, MiniAppHostOptions?, ILoggerFactory?)"/>, another transport.
    /// </summary>
    /// <param name="registry">The main-process events to serve.</param>
    /// <param name="options">Settings, or null for the defaults; the transport's own settings (executable, sandbox, socket) are the transport's business.</param>
    /// <param name="loggerFactory">Where to log, or null.</param>
    /// <param name="transport">How mini processes are started and reached; the host disposes it.</param>
    /// <returns>The host.</returns>
    /// <exception cref="IpcConfigurationException">When the cap is below 1, a time span is not valid or the policy is not valid.</exception>
    internal static MiniAppHost StartWithTransport(IpcEventRegistry registry, MiniAppHostOptions? options, ILoggerFactory? loggerFactory, IMiniProcessTransport transport)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(transport);
        if (registry.Side != IpcSide.Main)
        {
            throw new ArgumentException("The host serves a main-side registry.", nameof(registry));
        }

        options = CopyAndValidate(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var miniPrograms = new MiniProgramLifecycle(options.MiniPrograms, loggerFactory.CreateLogger(LoggerCategory));
        return new MiniAppHost(registry, options, loggerFactory, transport, miniPrograms);
    }

    /// <summary>Signs a user in: the mini programs opened from now on use that user's sandbox directories.</summary>
    /// <param name="newUserId">The user's id.</param>
    /// <exception cref="InvalidOperationException">
    /// When another user is signed in, mini programs opened before (as a guest) are still running, or a logout is still under
    /// way (its processes stopping or its participants running, even when its caller stopped waiting for it): log out or
    /// stop them first, and await the logout, so that nothing of one session lives on into the next. Sign-in refuses rather
    /// than waits, so that it stays synchronous.
    /// </exception>
    public void SignIn(string newUserId)
    {
        ArgumentException.ThrowIfNullOrEmpty(newUserId);
        lock (this.gate)
        {
            if (this.userId == newUserId)
            {
                return;
            }

            if (this.userId is not null)
            {
                throw new InvalidOperationException("Another user is signed in; call LogoutAsync first so that none of their mini programs lives on.");
            }

            if (this.logoutsUnderWay > 0)
            {
                throw new InvalidOperationException("The logout before is still under way (its mini processes stopping or its logout participants running); await LogoutAsync before a user signs in.");
            }

            if (!this.slots.IsEmpty)
            {
                throw new InvalidOperationException("Mini programs opened before signing in are still running; stop them (StopAllMiniAppAsync) before a user signs in.");
            }

            this.userId = newUserId;
        }
    }

    /// <summary>
    /// Logs the user out (the SDK's rule: stop all mini programs): every session is revoked and its pending calls fail with
    /// <see cref="IpcErrorCode.LoggedOut"/>, every launch not yet connected is revoked (its secret admits no one, its start
    /// fails), every process is stopped, and the user is signed out. Returns once every process has exited.
    /// </summary>
    /// <param name="cancellationToken">
    /// Cancels the wait only (<see cref="OperationCanceledException"/>): the logout is done all the same, even with a token
    /// already cancelled — the sessions and launches are revoked and the user signed out before this returns, and the
    /// processes are stopped and the logout participants run in the background, each process within its own deadline
    /// (<see cref="MiniAppHostOptions.ShutdownTimeout"/>, then the kill).
    /// </param>
    /// <returns>A task that completes when nothing of the session is left.</returns>
    /// <exception cref="TimeoutException">When a killed process was not reaped in time; the logout participants ran all the same.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> was cancelled before the logout completed.</exception>
    public Task LogoutAsync(CancellationToken cancellationToken = default) =>
        this.AwaitUnlessCanceledAsync(this.LogoutCoreAsync(), "logout", cancellationToken);

    /// <summary>Logs the user out, whoever waits for it; everything up to its first await runs before it returns.</summary>
    private async Task LogoutCoreAsync()
    {
        CancellationTokenSource revoked;
        List<MiniAppSession> victims;
        List<HostedMiniProcess> all;
        List<Task<MiniAppSession>> inFlight;
        lock (this.gate)
        {
            // Starts begun before this point see the new epoch and give up their process; no secret issued before is valid after.
            this.epoch++;
            this.userId = null;
            this.logoutsUnderWay++;
            revoked = this.startsRevoked;
            this.startsRevoked = new CancellationTokenSource();
            this.slots.Signal();
            victims = this.TakeAllSessions();
            all = [.. this.slots.Processes];
            inFlight = [.. this.starting.Values];
        }

        try
        {
            // Outside the lock: cancelling runs the revoked starts' callbacks inline.
            await revoked.CancelAsync().ConfigureAwait(false);
            await this.StopAsync(victims, all, IpcErrorCode.LoggedOut, "the user logged out").ConfigureAwait(false);
            await WhenAllIgnoringFailuresAsync(inFlight).ConfigureAwait(false);
        }
        finally
        {
            // Whatever became of the processes (one not reaped in time throws above), the session is revoked; a failure
            // above surfaces after this.
            try
            {
                await this.RunLogoutParticipantsAsync().ConfigureAwait(false);
                HostLog.LoggedOut(this.logger, victims.Count, inFlight.Count);
            }
            finally
            {
                lock (this.gate)
                {
                    this.logoutsUnderWay--;
                }
            }
        }
    }

    /// <summary>Runs every logout participant; one that throws is logged and the others still run.</summary>
    private async Task RunLogoutParticipantsAsync()
    {
        Func<Task>[] participants;
        lock (this.gate)
        {
            participants = [.. this.logoutParticipants];
        }

        foreach (Func<Task> participant in participants)
        {
            try
            {
                // Bounded: a participant that never completes must not hold the logout (and so every next SignIn) for ever.
                await participant().WaitAsync(this.options.LogoutParticipantTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                HostLog.LogoutParticipantTimedOut(this.logger, this.options.LogoutParticipantTimeout);
            }
            catch (Exception ex)
            {
                HostLog.LogoutParticipantThrew(this.logger, ex);
            }
        }
    }

    /// <summary>
    /// Adds work to every logout, run after the mini processes are stopped (for example revoking open-API sessions, so that
    /// <c>wx.checkSession</c> is false for the next user). A participant that throws, or has not completed within
    /// <see cref="MiniAppHostOptions.LogoutParticipantTimeout"/>, is logged and left behind; the others still run, and the logout ends.
    /// </summary>
    /// <param name="participant">The work.</param>
    public void OnLogout(Func<Task> participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        lock (this.gate)
        {
            this.logoutParticipants.Add(participant);
        }
    }

    /// <summary>
    /// Opens a mini program. When it is already running it is reactivated (no new process; it becomes the most recently
    /// used). Below the cap it gets a new process; at the cap the least recently used mini program is stopped (its pending
    /// calls fail with a reason naming the newcomer, its process ends and its exit is reported as stopped by the host app)
    /// and the new one gets a new process in that slot. When every process is starting or stopping, the open waits for one
    /// to settle (at most <see cref="MiniAppHostOptions.StartTimeout"/>), then goes on as above.
    /// </summary>
    /// <param name="appId">The mini program: 1 to 128 ASCII letters, digits, '-', '_' or '.'.</param>
    /// <param name="verType">Its build; each build is a mini program of its own.</param>
    /// <param name="cancellationToken">Cancels the wait only: a start under way goes on, and its mini program can be stopped as usual.</param>
    /// <returns>The running mini program.</returns>
    /// <exception cref="ArgumentException">When the appId or build is not valid.</exception>
    /// <exception cref="MiniAppStartException">When the host's <see cref="MiniAppHostOptions.Policy"/> does not let <paramref name="appId"/> start (no process is started), the process could not start or connect within <see cref="MiniAppHostOptions.StartTimeout"/>, the user logged out meanwhile, or (a mini program written in JavaScript, <see cref="AddMiniProgram"/>) its package could not be read or its mini program did not launch within that time (the message gives the mini program's reason; the process is stopped).</exception>
    /// <remarks>
    /// A mini program written in JavaScript (its appId mapped to a package) is launched once its process is connected and
    /// before this returns: its <c>onLaunch</c> and <c>onShow</c> have run. Reopening it while it runs sends it
    /// <see cref="IpcBroker.MiniPrograms.MiniProgramEvents.Show"/> (its <c>onShow</c>) in the background; a failure there is logged.
    /// </remarks>
    public async Task<MiniAppInfo> StartMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release, CancellationToken cancellationToken = default)
    {
        var key = new MiniAppKey(appId, verType);
        key.Validate();
        if (!this.options.Policy.MayStart(appId))
        {
            // Before any process, slot or secret is spent on it.
            HostLog.StartDenied(this.logger, key);
            throw new MiniAppStartException($"{key} may not be started: the host's policy does not list '{appId}' among the mini programs it starts.");
        }

        Task<MiniAppSession> start;
        MiniAppSession? reopened = null;
        lock (this.gate)
        {
            ObjectDisposedException.ThrowIf(this.disposed, this);
            // A session whose connection has closed (its process died or was cut off) is on its way out even before its
            // watcher has retired it: it is not reactivated, and a new start replaces it.
            if (this.sessions.TryGetValue(key, out MiniAppSession? running) && running.State == MiniAppState.Running && running.Connection.IsConnected)
            {
                running.Touch();
                HostLog.Reactivated(this.logger, key, running.Process.ProcessId);
                reopened = running;
                start = Task.FromResult(running);
            }
            else if (!this.starting.TryGetValue(key, out start!))
            {
                start = this.BeginStartAsync(key);
            }
        }

        if (reopened is not null)
        {
            // A reopened mini program written in JavaScript runs its onShow; in the background, bounded, a failure logged.
            _ = this.miniPrograms.ShowIfLaunchedAsync(reopened, this.connectionOptions.MaxCallTimeout);
            return reopened.Snapshot();
        }

        MiniAppSession session = await start.WaitAsync(cancellationToken).ConfigureAwait(false);
        return session.Snapshot();
    }

    /// <summary>
    /// Maps a mini program written in JavaScript: reads the package in <paramref name="packageDirectory"/> (its <c>app.json</c>
    /// names its appId) and, from the next start of that appId on, sends it to the mini process once its session is up
    /// (<see cref="IpcBroker.MiniPrograms.MiniProgramEvents.Launch"/>). Replaces an earlier mapping of that appId; a running
    /// process of it keeps what it launched. The package is read anew at each launch, so an edit shows at the next open.
    /// </summary>
    /// <param name="packageDirectory">The package's directory (relative to the current directory, or full).</param>
    /// <returns>The appId read from the package's <c>app.json</c>.</returns>
    /// <exception cref="MiniProgramPackageException">When the package breaks one of the rules (see <see cref="MiniAppHostOptions.MiniPrograms"/>).</exception>
    public string AddMiniProgram(string packageDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(packageDirectory);
        ObjectDisposedException.ThrowIf(this.disposed, this);
        return this.miniPrograms.Map(packageDirectory);
    }

    /// <summary>Gets the mini programs written in JavaScript that this host runs: appId → package directory.</summary>
    public IReadOnlyDictionary<string, string> MiniPrograms => this.miniPrograms.Packages;

    /// <summary>Calls a mini-process plugin and awaits its one outcome (the awaitable form of <c>callMiniProcessPlugin</c>).</summary>
    /// <param name="appId">The mini program; its release build if running, else its most recently used build.</param>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    /// <param name="cancellationToken">Cancels the call, as <see cref="IpcCallOptions.CancellationToken"/> does; either cancels it.</param>
    /// <returns>
    /// The outcome; never faults. <see cref="IpcErrorCode.ProcessNotRunning"/> when the mini program has no process;
    /// <see cref="IpcErrorCode.Canceled"/> at once when a token is cancelled.
    /// </returns>
    public Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? callOptions = null, CancellationToken cancellationToken = default) =>
        this.CallCoreAsync(this.Find(appId, null), appId, eventId, request, callOptions, cancellationToken);

    /// <summary>Calls a plugin in one build of a mini program and awaits its one outcome.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    /// <param name="cancellationToken">Cancels the call, as <see cref="IpcCallOptions.CancellationToken"/> does; either cancels it.</param>
    /// <returns>The outcome; never faults. <see cref="IpcErrorCode.Canceled"/> at once when a token is cancelled.</returns>
    public Task<IpcResult> CallMiniProcessPluginAsync(string appId, MiniAppVerType verType, string eventId, Bundle? request, IpcCallOptions? callOptions = null, CancellationToken cancellationToken = default) =>
        this.CallCoreAsync(this.Find(appId, verType), appId, eventId, request, callOptions, cancellationToken);

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

    /// <summary>Stops a mini program and its process (<c>stopMiniApp</c>): its pending calls fail with a reason; returns once the process has exited.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build; null stops every build of <paramref name="appId"/>.</param>
    /// <param name="cancellationToken">
    /// Cancels the wait only (<see cref="OperationCanceledException"/>): the stop is begun all the same, even with a token
    /// already cancelled, and completes in the background within its own deadline (<see cref="MiniAppHostOptions.ShutdownTimeout"/>,
    /// then the kill), so no process is left running because a caller stopped waiting.
    /// </param>
    /// <returns>Whether anything was running.</returns>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> was cancelled before the stop completed.</exception>
    public Task<bool> StopMiniAppAsync(string appId, MiniAppVerType? verType = null, CancellationToken cancellationToken = default) =>
        this.AwaitUnlessCanceledAsync(this.StopMiniAppCoreAsync(appId, verType), "stop of " + appId, cancellationToken);

    /// <summary>Stops every build of <paramref name="appId"/> that <paramref name="verType"/> matches, whoever waits for it.</summary>
    private async Task<bool> StopMiniAppCoreAsync(string appId, MiniAppVerType? verType)
    {
        bool Matches(MiniAppKey key) => key.AppId == appId && (verType is null || key.VerType == verType);

        List<Task<MiniAppSession>> inFlight;
        lock (this.gate)
        {
            inFlight = this.starting.Where(s => Matches(s.Key)).Select(s => s.Value).ToList();
        }

        // A start under way is let finish (or fail) first, so that it cannot outlive the stop.
        await WhenAllIgnoringFailuresAsync(inFlight).ConfigureAwait(false);
        List<MiniAppSession> victims;
        lock (this.gate)
        {
            victims = this.sessions.Values.Where(s => Matches(s.Key) && s.TryBeginStopping()).ToList();
            foreach (MiniAppSession victim in victims)
            {
                this.sessions.Remove(victim.Key);
            }
        }

        await this.StopAsync(victims, victims.Select(v => v.Process).ToList(), IpcErrorCode.PeerDisconnected, "the mini program was stopped").ConfigureAwait(false);
        return victims.Count > 0;
    }

    /// <summary>Stops every mini program and process (<c>stopAllMiniApp</c>); returns once every process has exited.</summary>
    /// <param name="cancellationToken">
    /// Cancels the wait only (<see cref="OperationCanceledException"/>): the stop is begun all the same, even with a token
    /// already cancelled, and completes in the background within its own deadline (<see cref="MiniAppHostOptions.ShutdownTimeout"/>,
    /// then the kill), so no process is left running because a caller stopped waiting.
    /// </param>
    /// <returns>A task that completes when nothing is left running.</returns>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> was cancelled before the stop completed.</exception>
    public Task StopAllMiniAppAsync(CancellationToken cancellationToken = default) =>
        this.AwaitUnlessCanceledAsync(this.StopAllMiniAppCoreAsync(), "stop of every mini program", cancellationToken);

    /// <summary>Stops every mini program and process, whoever waits for it.</summary>
    private async Task StopAllMiniAppCoreAsync()
    {
        List<Task<MiniAppSession>> inFlight;
        lock (this.gate)
        {
            inFlight = [.. this.starting.Values];
        }

        await WhenAllIgnoringFailuresAsync(inFlight).ConfigureAwait(false);
        List<MiniAppSession> victims;
        List<HostedMiniProcess> all;
        lock (this.gate)
        {
            victims = this.TakeAllSessions();
            all = [.. this.slots.Processes];
        }

        await this.StopAsync(victims, all, IpcErrorCode.PeerDisconnected, "every mini program was stopped").ConfigureAwait(false);
    }

    /// <summary>Stops every mini program, closes the pipe and removes its directory; returns once all of it is done.</summary>
    /// <returns>A task that completes when the host is gone.</returns>
    /// <remarks>
    /// Disposal happens once: a second call, even while the first is still under way, does nothing more and completes when
    /// the first has (so whoever disposes, the processes have ended when it returns).
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        TaskCompletionSource? mine = null;
        Task disposal;
        lock (this.gate)
        {
            if (this.disposal is null)
            {
                mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                this.disposal = mine.Task;
                this.disposed = true;
                this.slots.Signal();
            }

            disposal = this.disposal;
        }

        if (mine is null)
        {
            await disposal.ConfigureAwait(false);
            return;
        }

        try
        {
            await this.DisposeCoreAsync().ConfigureAwait(false);
            mine.SetResult();
        }
        catch (Exception ex)
        {
            mine.SetException(ex);
            throw;
        }
    }

    /// <summary>
    /// Copies <paramref name="options"/> down to their collections (the properties are settable, for IOptions binding, and the
    /// host must not see the caller's later changes), then checks the copy; every host, whatever its transport, comes here.
    /// </summary>
    private static MiniAppHostOptions CopyAndValidate(MiniAppHostOptions? options)
    {
        options = options is null ? new MiniAppHostOptions() : options with
        {
            Sandbox = options.Sandbox with
            {
                NetworkAppIds = new HashSet<string>(options.Sandbox.NetworkAppIds, (options.Sandbox.NetworkAppIds as HashSet<string>)?.Comparer ?? StringComparer.Ordinal),
                ReadOnlyPaths = [.. options.Sandbox.ReadOnlyPaths],
                ReadWritePaths = [.. options.Sandbox.ReadWritePaths],
                Environment = CopyOf(options.Sandbox.Environment),
            },
            Connection = options.Connection with { EventTimeouts = CopyOf(options.Connection.EventTimeouts) },
            MiniPrograms = new Dictionary<string, string>(options.MiniPrograms, StringComparer.Ordinal),
        };
        ValidateOptions(options);
        return options;
    }

    /// <summary>A copy of <paramref name="source"/> that keeps its comparer when it has one.</summary>
    private static Dictionary<string, TValue> CopyOf<TValue>(IReadOnlyDictionary<string, TValue> source) =>
        new(source, (source as Dictionary<string, TValue>)?.Comparer ?? StringComparer.Ordinal);

    /// <summary>Checks the settings every host needs, whatever its transport.</summary>
    private static void ValidateOptions(MiniAppHostOptions options)
    {
        if (options.MaxMiniProcesses < 1)
        {
            throw new IpcConfigurationException($"MaxMiniProcesses must be at least 1, not {options.MaxMiniProcesses}.");
        }

        if (options.SpareProcesses is < 0 or > MiniAppHostOptions.MaxSpareProcesses)
        {
            throw new IpcConfigurationException($"SpareProcesses must be from 0 (none) to {MiniAppHostOptions.MaxSpareProcesses}, not {options.SpareProcesses}.");
        }

        if (options.StartFailuresBeforeBackOff < 1)
        {
            throw new IpcConfigurationException($"StartFailuresBeforeBackOff must be at least 1, not {options.StartFailuresBeforeBackOff}.");
        }

        // Bound from configuration, "3" is three days and "-00:00:00.001" is infinite: a stop or a start would never end.
        CheckTimeSpan(nameof(MiniAppHostOptions.StartTimeout), options.StartTimeout, MaxHostTimeout);
        CheckTimeSpan(nameof(MiniAppHostOptions.HandshakeTimeout), options.HandshakeTimeout, MaxHostTimeout);
        CheckTimeSpan(nameof(MiniAppHostOptions.ShutdownTimeout), options.ShutdownTimeout, MaxHostTimeout);
        CheckTimeSpan(nameof(MiniAppHostOptions.ReapTimeout), options.ReapTimeout, MaxHostTimeout, zeroAllowed: true);
        CheckTimeSpan(nameof(MiniAppHostOptions.LogoutParticipantTimeout), options.LogoutParticipantTimeout, MaxHostTimeout);
        CheckTimeSpan(nameof(MiniAppHostOptions.StartBackOffFirst), options.StartBackOffFirst, MaxHostTimeout);
        CheckTimeSpan(nameof(MiniAppHostOptions.StartBackOffCap), options.StartBackOffCap, MaxHostTimeout);
        CheckTimeSpan(nameof(MiniAppHostOptions.ChildOutputRateWindow), options.ChildOutputRateWindow, TimeSpan.MaxValue);
        IpcConnectionOptions connection = options.Connection;
        CheckTimeSpan("Connection." + nameof(IpcConnectionOptions.StalledWriteTimeout), connection.StalledWriteTimeout, MaxHostTimeout);
        CheckTimeSpan("Connection." + nameof(IpcConnectionOptions.UnclaimedChannelTimeout), connection.UnclaimedChannelTimeout, MaxHostTimeout);
        CheckTimeSpan("Connection." + nameof(IpcConnectionOptions.PayloadChannelIdleTimeout), connection.PayloadChannelIdleTimeout, MaxHostTimeout);
        CheckTimeSpan("Connection." + nameof(IpcConnectionOptions.FrameReadTimeout), connection.FrameReadTimeout, MaxHostTimeout);
        CheckTimeSpan("Connection." + nameof(IpcConnectionOptions.DefaultCallTimeout), connection.DefaultCallTimeout, MaxCallTimeout);
        CheckTimeSpan("Connection." + nameof(IpcConnectionOptions.MaxCallTimeout), connection.MaxCallTimeout, MaxCallTimeout);
        foreach ((string eventId, TimeSpan timeout) in connection.EventTimeouts)
        {
            CheckTimeSpan($"Connection.{nameof(IpcConnectionOptions.EventTimeouts)}[{eventId}]", timeout, MaxCallTimeout);
        }

        if (connection.DefaultCallTimeout > connection.MaxCallTimeout)
        {
            throw new IpcConfigurationException($"Connection.{nameof(IpcConnectionOptions.DefaultCallTimeout)} ({connection.DefaultCallTimeout}) is above Connection.{nameof(IpcConnectionOptions.MaxCallTimeout)} ({connection.MaxCallTimeout}): every call without a timeout of its own would be refused.");
        }

        options.Policy.Validate();
    }

    /// <summary>Refuses a time span that is not positive (or zero, where allowed) or is more than <paramref name="max"/>.</summary>
    private static void CheckTimeSpan(string name, TimeSpan value, TimeSpan max, bool zeroAllowed = false)
    {
        if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !zeroAllowed) || value > max)
        {
            string range = zeroAllowed ? "from zero" : "more than zero";
            string upTo = max == TimeSpan.MaxValue ? string.Empty : $" and at most {max.ToString("c", CultureInfo.InvariantCulture)}";
            throw new IpcConfigurationException($"{name} must be {range}{upTo}, not {value.ToString("c", CultureInfo.InvariantCulture)} (an infinite timeout is -00:00:00.001, and a bare number is days).");
        }
    }

    /// <summary>Does the disposal, once.</summary>
    private async Task DisposeCoreAsync()
    {
        CancellationTokenSource revoked;
        lock (this.gate)
        {
            revoked = this.startsRevoked;
        }

        // Outside the lock (cancelling runs the starts' callbacks inline): a start still connecting fails now.
        await revoked.CancelAsync().ConfigureAwait(false);
        try
        {
            // Starts still waiting for a connection fail once the transport is gone (it removes the socket too).
            await this.transport.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                // Whatever became of the transport, no mini process outlives the host; a failure above surfaces after this.
                await this.StopAllMiniAppCoreAsync().ConfigureAwait(false);
            }
            finally
            {
                await this.StopSparesAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>At disposal: ends the spare starts under way and stops every spare (by its standard input, then its pid), returning once each is reaped.</summary>
    private async Task StopSparesAsync()
    {
        await this.sparesEnded.CancelAsync().ConfigureAwait(false);
        Task[] launches;
        lock (this.gate)
        {
            launches = [.. this.spareLaunches];
        }

        // A start under way either added its spare before disposal (stopped below) or stops its own process.
        await Task.WhenAll(launches).ConfigureAwait(false);
        List<SpareProcess> left;
        lock (this.gate)
        {
            left = [.. this.spares];
        }

        await Task.WhenAll(left.Select(s => s.Process.StopAsync(this.options.ShutdownTimeout, this.options.ReapTimeout, this.logger, byHostApp: true))).ConfigureAwait(false);
        await Task.WhenAll(left.Select(s => s.Watch)).ConfigureAwait(false);
    }

    /// <summary>
    /// Awaits <paramref name="work"/> (a stop or a logout, which goes on whoever waits for it) until it completes or
    /// <paramref name="cancellationToken"/> is cancelled; a failure of work no one waits for any more is logged.
    /// </summary>
    private async Task<T> AwaitUnlessCanceledAsync<T>(Task<T> work, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await work.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !work.IsCompleted)
        {
            _ = work.ContinueWith(
                static (done, state) =>
                {
                    (ILogger logger, string what) = ((ILogger, string))state!;
                    HostLog.AbandonedWorkFailed(logger, done.Exception!.GetBaseException(), what);
                },
                (this.logger, what),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            throw;
        }
    }

    /// <inheritdoc cref="AwaitUnlessCanceledAsync{T}(Task{T}, string, CancellationToken)"/>
    private Task AwaitUnlessCanceledAsync(Task work, string what, CancellationToken cancellationToken) =>
        this.AwaitUnlessCanceledAsync(ReturnTrueAsync(work), what, cancellationToken);

    private static async Task<bool> ReturnTrueAsync(Task work)
    {
        await work.ConfigureAwait(false);
        return true;
    }

    private static async Task WhenAllIgnoringFailuresAsync(IEnumerable<Task> tasks)
    {
        foreach (Task task in tasks)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MiniAppStartException or ObjectDisposedException or OperationCanceledException)
            {
                // Reported to whoever started it.
            }
        }
    }

    /// <summary>
    /// Under the lock: registers the start of <paramref name="key"/> in <see cref="starting"/> and begins it. The entry is made
    /// before any of the start's work runs, so that the start's end, which removes it, always comes after (a start that
    /// failed at once used to be removed before it was added, and stayed for good).
    /// </summary>
    private Task<MiniAppSession> BeginStartAsync(MiniAppKey key)
    {
        var done = new TaskCompletionSource<MiniAppSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        this.starting[key] = done.Task;
        string? user = this.userId;
        long startEpoch = this.epoch;
        Task<MiniAppSession> work;
        try
        {
            work = this.TryPlaceAsync(key, user, startEpoch) ?? this.RunStartAsync(() => this.WaitForSlotThenStartAsync(key, user, startEpoch));
        }
        catch (Exception ex)
        {
            work = Task.FromException<MiniAppSession>(ex);
        }

        // Observed here; its outcome reaches the openers through done.
        _ = this.FinishStartAsync(key, work, done);
        return done.Task;
    }

    /// <summary>
    /// Under the lock: starts <paramref name="key"/> in a new process below the cap, else in a new process in the slot of the
    /// least recently used running mini program, which is stopped first; null when every slot is starting or stopping.
    /// </summary>
    private Task<MiniAppSession>? TryPlaceAsync(MiniAppKey key, string? user, long startEpoch)
    {
        if (this.slots.TryReserve())
        {
            return this.RunStartAsync(() => this.StartInNewProcessAsync(key, user, startEpoch));
        }

        // Refused before a victim is chosen: a start its own back-off refuses must not stop another mini program first.
        this.ThrowIfAppBackingOffLocked(key);
        MiniAppSession? victim = this.sessions.Values.Where(s => s.State == MiniAppState.Running && s.Connection.IsConnected).MinBy(s => s.LastUsedAt);
        if (victim is null)
        {
            return null;
        }

        victim.TryBeginStopping();
        this.sessions.Remove(victim.Key);
        this.slots.MakeRoomWith(victim.Process);
        return this.RunStartAsync(() => this.StartInSlotOfAsync(victim, key, user, startEpoch));
    }

    /// <summary>
    /// Every slot is starting or stopping: waits until one settles (a start completes, a process ends) and places the start
    /// then, for at most <see cref="MiniAppHostOptions.StartTimeout"/>; the start itself then has its own timeout.
    /// </summary>
    private async Task<MiniAppSession> WaitForSlotThenStartAsync(MiniAppKey key, string? user, long startEpoch)
    {
        HostLog.WaitingForSlot(this.logger, key, this.options.MaxMiniProcesses);
        using var timeout = new CancellationTokenSource(this.options.StartTimeout);
        while (true)
        {
            Task changed;
            Task<MiniAppSession>? placed;
            lock (this.gate)
            {
                this.ThrowIfSuperseded(startEpoch, key);
                placed = this.TryPlaceAsync(key, user, startEpoch);
                changed = this.slots.Changed;
            }

            if (placed is not null)
            {
                return await placed.ConfigureAwait(false);
            }

            try
            {
                await changed.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new MiniAppStartException($"{key} did not start: all {this.options.MaxMiniProcesses} mini program processes were starting or stopping for {this.options.StartTimeout.TotalSeconds:0.#} s.");
            }
        }
    }

    /// <summary>Runs a start on the thread pool, or inline for the tests (<see cref="MiniAppHostOptions.RunStartsInline"/>).</summary>
    private Task<MiniAppSession> RunStartAsync(Func<Task<MiniAppSession>> start) => this.options.RunStartsInline ? start() : Task.Run(start);

    /// <summary>Once <paramref name="work"/> ends, forgets the start (only its own entry) and hands the outcome to its openers.</summary>
    private async Task FinishStartAsync(MiniAppKey key, Task<MiniAppSession> work, TaskCompletionSource<MiniAppSession> done)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Handed on below.
        }

        lock (this.gate)
        {
            if (this.starting.TryGetValue(key, out Task<MiniAppSession>? registered) && registered == done.Task)
            {
                this.starting.Remove(key);
            }
        }

        done.TrySetFromTask(work);
    }

    /// <summary>
    /// In the slot reserved for it: binds a spare to <paramref name="key"/> when one may serve it, else starts a process of its
    /// own (unless starts are backing off), then connects it.
    /// </summary>
    private async Task<MiniAppSession> StartInNewProcessAsync(MiniAppKey key, string? user, long startEpoch)
    {
        HostedMiniProcess? handle = null;
        string? sandbox = null;
        bool fromSpare = false;
        try
        {
            lock (this.gate)
            {
                // This mini program's own processes keep dying once told it: its opens wait, without taking a spare.
                this.ThrowIfAppBackingOffLocked(key);

                handle = this.TakeSpareLocked(key);
                fromSpare = handle is not null;
                if (handle is null && this.backOff.Remaining is { } wait && wait > TimeSpan.Zero)
                {
                    string reason = $"the mini executable died at start {this.backOff.FailuresInARow} times in a row (last: {this.backOff.LastReason})";
                    HostLog.StartRefusedBackingOff(this.logger, key, (long)wait.TotalMilliseconds, reason);
                    throw new MiniAppStartException($"{key} did not start: {reason}; starts wait {wait.TotalSeconds:0.#} s more before the next try.");
                }
            }

            if (handle is null)
            {
                // Before the process starts: the launcher grants it this directory.
                sandbox = SandboxLayout.Prepare(this.options.SandboxRoot, user, key);
                handle = new HostedMiniProcess(this.transport.Launch(key, sandbox), key);
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException)
        {
            throw new MiniAppStartException($"Could not start a process for {key}: {ex.Message}");
        }
        finally
        {
            lock (this.gate)
            {
                this.slots.FillReserved(handle);
                if (fromSpare)
                {
                    // Its replacement starts in the background, off this open's path.
                    this.ReplenishSparesLocked();
                }
            }
        }

        if (fromSpare)
        {
            HostLog.SpareBound(this.logger, handle.ProcessId, key);
        }
        else
        {
            HostLog.Started(this.logger, key, handle.ProcessId);
        }

        _ = this.WatchProcessAsync(handle);
        return await this.BindAsync(handle, key, sandbox, startEpoch).ConfigureAwait(false);
    }

    /// <summary>
    /// At the cap: stops <paramref name="victim"/> (its calls fail with a reason naming <paramref name="key"/>, its process ends
    /// and is reported as stopped by the host app), then starts <paramref name="key"/> in a new process in the slot it leaves.
    /// </summary>
    private async Task<MiniAppSession> StartInSlotOfAsync(MiniAppSession victim, MiniAppKey key, string? user, long startEpoch)
    {
        HostedMiniProcess evicted = victim.Process;
        HostLog.MakingRoom(this.logger, evicted.ProcessId, victim.Key, key, this.options.MaxMiniProcesses);
        try
        {
            // Returns once the process has been reaped and reported: it has left the processes, and its slot is this start's.
            await this.StopAsync([victim], [evicted], IpcErrorCode.PeerDisconnected, $"the mini program was stopped to make room for {key} (at most {this.options.MaxMiniProcesses} processes)").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whatever went wrong, the slot's count stays right and the start fails once, as a start failure.
            lock (this.gate)
            {
                this.slots.GiveUpSlotOf(evicted);
            }

            throw new MiniAppStartException($"{key} did not start: the process {evicted.ProcessId} of {victim.Key}, stopped to make room for it, did not end: {ex.Message}");
        }

        lock (this.gate)
        {
            if (startEpoch != this.epoch || this.disposed)
            {
                this.slots.GiveUpSlotOf(evicted);
                this.ThrowIfSuperseded(startEpoch, key);
            }
        }

        return await this.StartInNewProcessAsync(key, user, startEpoch).ConfigureAwait(false);
    }

    /// <summary>Connects a new process for <paramref name="key"/> through the transport and makes it a session.</summary>
    private async Task<MiniAppSession> BindAsync(HostedMiniProcess handle, MiniAppKey key, string? sandbox, long startEpoch)
    {
        // A mini program written in JavaScript is launched within the same time as its process connects.
        long deadline = Stopwatch.GetTimestamp() + (long)(this.options.StartTimeout.TotalSeconds * Stopwatch.Frequency);
        try
        {
            CancellationToken revoked;
            lock (this.gate)
            {
                this.ThrowIfSuperseded(startEpoch, key);

                // The token of this start's epoch: a logout from here on revokes the start.
                revoked = this.startsRevoked.Token;
            }

            MiniProcessLink link;
            try
            {
                link = await this.transport.ConnectAsync(handle.Process, key, sandbox, revoked).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (revoked.IsCancellationRequested)
            {
                throw new MiniAppStartException("The user logged out, or the host was disposed, while the mini program was starting.");
            }

            if (link.PeerUserId is { } uid)
            {
                HostLog.Connected(this.logger, key, handle.ProcessId, link.PeerProcessId, uid);
            }
            else
            {
                HostLog.ConnectedWithoutCredentials(this.logger, key, handle.ProcessId);
            }

            var caller = new IpcCaller(IpcSide.Mini, key.AppId, key.VerType, link.PeerProcessId);
            IpcConnection connection = IpcConnection.Start(link.Stream, this.Registry, caller, this.connectionOptions, this.loggerFactory.CreateLogger("IpcBroker.MainProcess.Connection"));
            var session = new MiniAppSession(key, handle, connection);
            try
            {
                // Before the session is registered, so that no open sees it running before its mini program is; a logout or
                // the host's disposal cancels it through the start's token, a stop waits for it as for any start.
                await this.miniPrograms.LaunchIfMappedAsync(session, deadline, this.connectionOptions.MaxCallTimeout, revoked).ConfigureAwait(false);
            }
            catch
            {
                // Whatever failed the launch, the connection goes with the process (the catch below stops it).
                connection.Close(IpcErrorCode.PeerDisconnected, "the mini program did not launch");
                throw;
            }

            lock (this.gate)
            {
                if (startEpoch != this.epoch || this.disposed || handle.Exited.IsCompleted)
                {
                    connection.Close(startEpoch != this.epoch ? IpcErrorCode.LoggedOut : IpcErrorCode.PeerDisconnected, "the mini program was stopped while it started");
                    throw new MiniAppStartException($"{key} was stopped while it started (logout, host shutdown or process exit).");
                }

                handle.Current = session;
                this.sessions[key] = session;
                this.slots.Signal();
                this.backOff.Succeeded();
                this.appBackOffs.Remove(key);
            }

            _ = this.WatchSessionAsync(session);
            return session;
        }
        catch (Exception failure)
        {
            // A process that ended by itself before it was bound died at start: enough of those in a row and this mini program's
            // starts back off. Only its own: it was told its launch line, so its mini program's code may have ended it.
            if (handle.Exited.IsCompleted && !handle.StopIssued)
            {
                this.RecordAppDeathAtStart(key, $"{key} pid {handle.ProcessId}: {failure.Message}");
            }

            // The process is in no known state: it goes. Its exit is then reported like any other.
            try
            {
                await handle.StopAsync(this.options.ShutdownTimeout, this.options.ReapTimeout, this.logger, byHostApp: false).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // The start's own failure is what its caller must see; a process that is slow to be reaped is logged.
                HostLog.StartCleanupFailed(this.logger, key, handle.ProcessId, ex.Message);
            }

            throw;
        }
    }

    /// <summary>
    /// Under the lock: takes a spare to serve <paramref name="key"/>, ready ones first, or null when none is alive or none may
    /// serve it. A spare's sandbox has no grant of any one mini program and cannot be widened: it serves only a mini program
    /// whose own start would grant no more (no sandbox directory, no network).
    /// </summary>
    private HostedMiniProcess? TakeSpareLocked(MiniAppKey key)
    {
        if (this.spares.Count == 0)
        {
            return null;
        }

        if (this.options.SandboxRoot is not null)
        {
            HostLog.SpareNotUsable(this.logger, key, "every mini program has a sandbox directory of its own (SandboxRoot), which a spare's sandbox lacks");
            return null;
        }

        if (this.options.Sandbox.NetworkAppIds.Contains(key.AppId))
        {
            HostLog.SpareNotUsable(this.logger, key, "it is granted the network (NetworkAppIds), which a spare's sandbox lacks");
            return null;
        }

        SpareProcess? spare = this.spares.Where(s => !s.Process.Exited.IsCompleted).OrderByDescending(s => s.IsReady).FirstOrDefault();
        if (spare is null)
        {
            return null;
        }

        this.spares.Remove(spare);
        this.SignalSparesLocked();
        spare.Process.Key = key;
        return spare.Process;
    }

    /// <summary>
    /// Gets whether this host keeps spares: its transport starts them, and an open could bind one (with a
    /// <see cref="MiniAppHostOptions.SandboxRoot"/> none could: every mini program has a directory a spare's sandbox lacks).
    /// </summary>
    private bool KeepsSpares => this.transport.SupportsSpares && this.options.SandboxRoot is null;

    /// <summary>Under the lock: starts, in the background, as many spares as are missing (none after disposal).</summary>
    private void ReplenishSparesLocked()
    {
        if (this.disposed || !this.KeepsSpares)
        {
            return;
        }

        while (this.spares.Count + this.spareLaunchesUnderWay < this.options.SpareProcesses)
        {
            this.spareLaunchesUnderWay++;
            Task launch = Task.Run(this.LaunchSpareAsync);
            this.spareLaunches.Add(launch);
            _ = launch.ContinueWith(
                done =>
                {
                    lock (this.gate)
                    {
                        this.spareLaunches.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    /// <summary>Starts one spare, after the back-off's wait if starts keep dying; throws nothing (a failure is logged and counted).</summary>
    private async Task LaunchSpareAsync()
    {
        SpareProcess? spare = null;
        bool kept = false;
        try
        {
            TimeSpan wait;
            lock (this.gate)
            {
                wait = this.backOff.Remaining;
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, this.sparesEnded.Token).ConfigureAwait(false);
            }

            SpareLaunch launched;
            try
            {
                launched = this.transport.LaunchSpare();
            }
            catch (Exception ex)
            {
                // Whatever the failure, it is counted: a start that fails at once must back off, not be retried in a loop.
                HostLog.SpareStartFailed(this.logger, ex.Message);
                this.RecordDeathAtStart("a spare could not be started: " + ex.Message);
                return;
            }

            spare = new SpareProcess(new HostedMiniProcess(launched.Process, default), launched.Ready);
            HostLog.SpareStarted(this.logger, spare.Process.ProcessId);
            lock (this.gate)
            {
                if (!this.disposed)
                {
                    this.spares.Add(spare);
                    spare.Watch = this.WatchSpareAsync(spare);
                    kept = true;
                    this.SignalSparesLocked();
                }
            }

            _ = this.SignalWhenReadyAsync(spare);
        }
        catch (OperationCanceledException) when (this.sparesEnded.IsCancellationRequested)
        {
            // Disposed while backing off.
        }
        finally
        {
            lock (this.gate)
            {
                this.spareLaunchesUnderWay--;

                // A spare that could not start is retried (after the back-off's wait). One that was kept may have ended already,
                // its watch run to its end above while this start still counted as under way (its replenish then saw none
                // missing): replenishing here too starts only what is missing.
                this.ReplenishSparesLocked();
            }

            if (spare is not null && !kept)
            {
                // Disposed meanwhile: this start stops its own process (disposal waits for it).
                await spare.Process.StopAsync(this.options.ShutdownTimeout, this.options.ReapTimeout, this.logger, byHostApp: true).ConfigureAwait(false);
                spare.Process.Process.Release();
            }
        }
    }

    /// <summary>Wakes <see cref="WhenSparesReadyAsync"/> when the spare is ready.</summary>
    private async Task SignalWhenReadyAsync(SpareProcess spare)
    {
        await Task.WhenAny(spare.Ready, spare.Process.Exited).ConfigureAwait(false);
        if (spare.Ready.IsCompleted)
        {
            HostLog.SpareReady(this.logger, spare.Process.ProcessId);
        }

        lock (this.gate)
        {
            this.SignalSparesLocked();
        }
    }

    /// <summary>
    /// Waits for a spare to end. One bound meanwhile is the host's like any started process (<see cref="WatchProcessAsync"/>);
    /// one still a spare is forgotten, counted as a death at start unless it was asked to stop, and replaced.
    /// </summary>
    private async Task WatchSpareAsync(SpareProcess spare)
    {
        await spare.Process.Exited.ConfigureAwait(false);
        lock (this.gate)
        {
            if (!this.spares.Remove(spare))
            {
                return;
            }

            this.SignalSparesLocked();
        }

        HostedMiniProcess handle = spare.Process;
        int exitCode = handle.Process.ExitCode;
        if (handle.StopIssued)
        {
            HostLog.SpareStopped(this.logger, handle.ProcessId, exitCode);
        }
        else
        {
            string tail = handle.Process is MiniProcessHandle real ? real.StderrTail.ToString() : string.Empty;
            HostLog.SpareDied(this.logger, handle.ProcessId, exitCode, tail.Length > 0 ? " Its last error output:" + Environment.NewLine + tail : string.Empty);
            this.RecordDeathAtStart($"the spare pid {handle.ProcessId} exited with code {exitCode} before it served any mini program");
        }

        handle.MarkFinished();
        handle.Process.Release();
        lock (this.gate)
        {
            this.ReplenishSparesLocked();
        }
    }

    /// <summary>Counts a process that ended by itself before it was bound; logs the back-off when it begins or grows.</summary>
    private void RecordDeathAtStart(string reason)
    {
        TimeSpan? wait;
        int failures;
        lock (this.gate)
        {
            wait = this.backOff.Failed(reason);
            failures = this.backOff.FailuresInARow;
        }

        if (wait is { } delay)
        {
            HostLog.StartsBackingOff(this.logger, failures, reason, (long)delay.TotalMilliseconds);
        }
    }

    /// <summary>Under the lock: refuses a start of <paramref name="key"/> while its own processes' deaths at start make it wait.</summary>
    private void ThrowIfAppBackingOffLocked(MiniAppKey key)
    {
        if (this.appBackOffs.TryGetValue(key, out StartBackOff? own) && own.Remaining is { } ownWait && ownWait > TimeSpan.Zero)
        {
            string reason = $"its processes died at start {own.FailuresInARow} times in a row (last: {own.LastReason})";
            HostLog.StartRefusedBackingOff(this.logger, key, (long)ownWait.TotalMilliseconds, reason);
            throw new MiniAppStartException($"{key} did not start: {reason}; its starts wait {ownWait.TotalSeconds:0.#} s more before the next try.");
        }
    }

    /// <summary>Counts a process of <paramref name="key"/> that ended by itself after its launch line, before it was bound; logs its back-off.</summary>
    private void RecordAppDeathAtStart(MiniAppKey key, string reason)
    {
        TimeSpan? wait;
        int failures;
        lock (this.gate)
        {
            if (!this.appBackOffs.TryGetValue(key, out StartBackOff? own))
            {
                own = new StartBackOff(this.options.StartFailuresBeforeBackOff, this.options.StartBackOffFirst, this.options.StartBackOffCap);
                this.appBackOffs[key] = own;
            }

            wait = own.Failed(reason);
            failures = own.FailuresInARow;
        }

        if (wait is { } delay)
        {
            HostLog.AppStartsBackingOff(this.logger, key, failures, reason, (long)delay.TotalMilliseconds);
        }
    }

    /// <summary>Under the lock: wakes <see cref="WhenSparesReadyAsync"/>'s waiters (their continuations run asynchronously).</summary>
    private void SignalSparesLocked()
    {
        this.sparesChanged.TrySetResult();
        this.sparesChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void ThrowIfSuperseded(long startEpoch, MiniAppKey key)
    {
        if (startEpoch != this.epoch)
        {
            throw new MiniAppStartException($"{key} did not start: the user logged out meanwhile.");
        }

        ObjectDisposedException.ThrowIf(this.disposed, this);
    }

    /// <summary>Under the lock: marks every session stopping and forgets it.</summary>
    private List<MiniAppSession> TakeAllSessions()
    {
        List<MiniAppSession> victims = this.sessions.Values.Where(s => s.TryBeginStopping()).ToList();
        this.sessions.Clear();
        return victims;
    }

    /// <summary>Fails the sessions' calls with <paramref name="code"/>, stops the processes, and returns once each is reaped and reported.</summary>
    private async Task StopAsync(List<MiniAppSession> victims, List<HostedMiniProcess> processesToStop, IpcErrorCode code, string reason)
    {
        // Before the connections close: a mini process exits when its session ends, and its exit must be reported as asked for.
        foreach (HostedMiniProcess process in processesToStop)
        {
            process.MarkStopRequestedByHostApp();
        }

        foreach (MiniAppSession victim in victims)
        {
            HostLog.Stopping(this.logger, victim.Key, victim.Process.ProcessId, reason);
            victim.Connection.Close(code, reason);
        }

        await Task.WhenAll(processesToStop.Select(p => p.StopAsync(this.options.ShutdownTimeout, this.options.ReapTimeout, this.logger, byHostApp: true))).ConfigureAwait(false);
        await Task.WhenAll(processesToStop.Select(p => p.Finished)).ConfigureAwait(false);
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

    private Task<IpcResult> CallCoreAsync(MiniAppSession? session, string appId, string eventId, Bundle? request, IpcCallOptions? callOptions, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested || callOptions?.CancellationToken.IsCancellationRequested == true)
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.Canceled, $"The call to '{eventId}' was canceled before it was sent."));
        }

        if (session is null || session.State != MiniAppState.Running)
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.ProcessNotRunning, $"The mini program '{appId}' has no running process."));
        }

        session.Touch();
        return session.Connection.CallAsync(eventId, request, callOptions, cancellationToken);
    }

    /// <summary>When a session's connection closes without the host asking (the mini process dropped it), its process goes too.</summary>
    private async Task WatchSessionAsync(MiniAppSession session)
    {
        await session.Connection.Completion.ConfigureAwait(false);
        bool unexpected;
        lock (this.gate)
        {
            unexpected = session.TryBeginStopping();
            if (this.sessions.TryGetValue(session.Key, out MiniAppSession? current) && current == session)
            {
                this.sessions.Remove(session.Key);
            }

            if (session.Process.Current == session)
            {
                session.Process.Current = null;
            }
        }

        if (unexpected && !session.Process.Exited.IsCompleted)
        {
            // Usually the process is dying and its socket closed first; if not, it is of no use without a connection.
            await session.Process.StopAsync(this.options.ShutdownTimeout, this.options.ReapTimeout, this.logger, byHostApp: false).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for a process to end, then fails its calls, forgets it and raises the exit notice.</summary>
    private async Task WatchProcessAsync(HostedMiniProcess handle)
    {
        await handle.Exited.ConfigureAwait(false);
        int exitCode = handle.Process.ExitCode;
        MiniAppSession? current;
        lock (this.gate)
        {
            this.slots.Leave(handle);
            current = handle.Current;
            handle.Current = null;
            if (current is not null && this.sessions.TryGetValue(current.Key, out MiniAppSession? registered) && registered == current)
            {
                this.sessions.Remove(current.Key);
            }
        }

        if (current is not null)
        {
            // The socket may not have been read to its end yet: the exit fails the calls now.
            current.Connection.Close(IpcErrorCode.PeerDisconnected, $"the mini process {handle.ProcessId} exited with code {exitCode}");
            await current.Connection.Completion.ConfigureAwait(false);
        }

        var notice = new MiniProcessExitedEventArgs(handle.Key.AppId, handle.Key.VerType, handle.ProcessId, exitCode, handle.StopRequestedByHostApp) { Reason = handle.Process.ExitReason };
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
            handle.MarkFinished();

            // Releases the process's handle and pipes; later stops of it see it exited and touch nothing.
            handle.Process.Release();
        }
    }
}
