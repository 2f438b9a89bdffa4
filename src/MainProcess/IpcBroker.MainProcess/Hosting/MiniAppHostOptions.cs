using IpcBroker.MainProcess.Hosting.Sandbox;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Settings of a <see cref="MiniAppHost"/>.</summary>
public sealed record MiniAppHostOptions
{
    /// <summary>
    /// Gets or sets the mini program executable: a framework-dependent <c>.dll</c> (run with the current dotnet host) or a native
    /// executable. Defaults to the one the host app's build copied to <c>mini/</c> beside it (its <c>MiniProcessProject</c>
    /// item, recorded in the entry assembly as <c>IpcBroker.MiniExecutable</c>); empty when there is none, and the host's
    /// start then fails naming both ways to set it.
    /// </summary>
    public string MiniExecutablePath { get; set; } = MiniExecutableDefault.FromEntryAssembly();

    /// <summary>
    /// Gets or sets the most mini program processes alive at once (5, as in the SDK). At the cap, opening another mini program
    /// stops the least recently used one and hands its process over.
    /// </summary>
    public int MaxMiniProcesses { get; set; } = 5;

    /// <summary>
    /// Gets or sets how many spare mini processes the host keeps started and not yet bound to any mini program (1; 0 turns
    /// them off; at most <see cref="MaxSpareProcesses"/>, or the host refuses to start). Opening a mini program binds a spare
    /// (sends it its launch line) instead of starting .NET, and a new spare is started in the background.
    /// </summary>
    /// <remarks>
    /// <para>Spares are not counted in <see cref="MaxMiniProcesses"/> (which counts running mini programs) and are listed apart
    /// (<see cref="MiniAppHost.GetSpareProcesses"/>); they do hold memory, one idle mini process each.</para>
    /// <para>A spare is started before anyone knows which mini program it will serve, so its sandbox holds no grant of any
    /// one mini program: no sandbox directory (<see cref="SandboxRoot"/>), no network (<see cref="MiniSandboxOptions.NetworkAppIds"/>).
    /// A sandbox can only be narrowed once applied, never widened, so a spare binds only a mini program whose start needs no
    /// more than that: with a <see cref="SandboxRoot"/> set (every mini program then has a directory) or for an appId granted
    /// the network, the open starts a process of its own as without spares; with a <see cref="SandboxRoot"/> the host keeps no
    /// spare at all, since none could ever be bound (it logs so). A spare has served no mini program before, so
    /// binding it hands no mini program's data to another; it gets one launch line, like any mini process.</para>
    /// <para>A spare waits for its launch line without the mini side's 10 s limit and ends at end-of-file on its standard input,
    /// as every mini process does; the host stops its spares when it is disposed (standard input, then the kill by pid after
    /// <see cref="ShutdownTimeout"/>). No per-user setting enters a spare's start, so spares outlive a logout. The end of a
    /// spare that was never bound raises no <see cref="MiniAppHost.MiniProcessExited"/> (it served no mini program); it is logged.</para>
    /// <para>A mini executable that keeps dying at start (3 spares in a row) is not restarted in a loop: further spares, and
    /// starts that find no spare, wait, 1 s doubling up to 1 min, until one starts; the host logs why. A process that dies
    /// after its launch line, before it is bound, counts only against its own mini program (whose code may have ended it):
    /// that mini program's opens back off the same way, never another's.</para>
    /// </remarks>
    public int SpareProcesses { get; set; } = 1;

    /// <summary>
    /// Gets or sets the directory under which each mini program gets a private directory per user,
    /// <c>&lt;root&gt;/&lt;user key&gt;/&lt;appId&gt;-&lt;build&gt;</c>; null (the default) keeps none.
    /// </summary>
    public string? SandboxRoot { get; set; }

    /// <summary>
    /// Gets or sets how each mini process is boxed in: a clean environment and private directories always; on Linux, the launcher
    /// with Landlock, seccomp and resource limits unless its <see cref="MiniSandboxOptions.Mode"/> is Off.
    /// </summary>
    public MiniSandboxOptions Sandbox { get; set; } = new();

    /// <summary>
    /// Gets or sets the mini programs written in JavaScript that the host runs: appId → package directory (a directory with
    /// <c>app.json</c> and its scripts; empty by default). Each package is read when the host starts, and its key must be the
    /// appId of its <c>app.json</c>, or the host refuses to start (<see cref="IpcConfigurationException"/>); more can be
    /// added later (<see cref="MiniAppHost.AddMiniProgram"/>). A package is read anew at each start of its mini program
    /// and sent to the mini process once its session is up.
    /// </summary>
    /// <remarks>
    /// A package holds regular files and directories only (a symbolic link anywhere, a device, a FIFO is refused), at most
    /// 1000 of them and 8 MiB in all, 16 directories deep, each file UTF-8 text; names beginning with a dot are skipped (at most 1000 of them in one directory).
    /// <c>app.json</c> is a JSON object with a string <c>appId</c> and an optional string <c>entry</c> (the entry script's
    /// path in the package, <c>app.js</c> by default), which must be a file of the package.
    /// </remarks>
    public IDictionary<string, string> MiniPrograms { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the directory below which the host makes its private pipe directory; null for the system temp directory.</summary>
    public string? RuntimeDirectory { get; set; }

    /// <summary>
    /// Gets or sets which mini programs this host may start and which main-process events each may call
    /// (<see cref="MiniAppPolicy.Unrestricted"/>, the default: any appId, every registered event). Checked when the host
    /// starts (<see cref="IpcConfigurationException"/> for a bad pattern or appId), when a mini program is started, and on
    /// every incoming call, against the appId the host bound to the connection at its handshake.
    /// </summary>
    public MiniAppPolicy Policy { get; set; } = MiniAppPolicy.Unrestricted;

    /// <summary>Gets or sets the settings of every connection to a mini process.</summary>
    public IpcConnectionOptions Connection { get; set; } = IpcConnectionOptions.Default;

    /// <summary>
    /// Gets or sets how many payload bytes all mini processes together may have the host receiving at once (256 MiB), on top of
    /// each connection's own <see cref="IpcConnectionOptions.MaxIncomingPayloadBytes"/>; a call past it is refused with
    /// <see cref="IpcErrorCode.LimitsExceeded"/>. Ignored when <see cref="Connection"/> names a shared budget of its own.
    /// </summary>
    public long MaxPayloadBytesAcrossMiniProcesses { get; set; } = 256L * 1024 * 1024;

    /// <summary>Gets or sets how long a mini program may take from its launch line to an accepted handshake (15 s). Positive and at most ten minutes, or the host refuses to start.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets how long a connection may take to send its hello once connected (5 s); a silent connection is then closed. Positive and at most ten minutes, or the host refuses to start.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long each logout participant (<see cref="MiniAppHost.OnLogout"/>) may take (10 s); one that has not
    /// completed by then is logged and left behind, and the logout ends (so the next <see cref="MiniAppHost.SignIn"/> is not
    /// refused for ever).
    /// </summary>
    public TimeSpan LogoutParticipantTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long a stopping mini process may take to exit after its standard input is closed, before it is killed (3 s). Positive and at most ten minutes, or the host refuses to start.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Gets or sets the longest line of a mini process's standard output or error that is logged whole, in bytes (4 KiB). A longer
    /// line is logged cut, with a marker, and the rest of it up to its newline is read and dropped: a child that writes
    /// without newlines costs the host this much memory per stream, never more.
    /// </summary>
    public int ChildOutputMaxLineLength { get; set; } = 4096;

    /// <summary>
    /// Gets or sets how many lines of one mini process's output (standard output and error together) are logged per second (100);
    /// the excess is counted and logged as one "N lines dropped" line, so a chatty or hostile child cannot flood the log.
    /// </summary>
    public int ChildOutputLinesPerSecond { get; set; } = 100;

    /// <summary>Gets the window over which <see cref="ChildOutputLinesPerSecond"/> is counted (1 s); a seam for the tests.</summary>
    internal TimeSpan ChildOutputRateWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets how long a killed mini process may take to be reaped (10 s). SIGKILL cannot be ignored, so this bound only
    /// guards against a slow reaper; internal so that a test can make a process that is not reaped in time: zero reports the
    /// reap as timed out after every kill, whether or not the process was reaped already (a wedged reaper, deterministically).
    /// </summary>
    internal TimeSpan ReapTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The most spare processes a host keeps (<see cref="SpareProcesses"/>): 16.</summary>
    public const int MaxSpareProcesses = 16;

    /// <summary>Gets how many starts in a row may die before the next ones wait (3); a seam for the tests.</summary>
    internal int StartFailuresBeforeBackOff { get; init; } = 3;

    /// <summary>Gets the first wait once starts keep dying (1 s), doubled at each further death; a seam for the tests.</summary>
    internal TimeSpan StartBackOffFirst { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the longest wait once starts keep dying (1 min).</summary>
    internal TimeSpan StartBackOffCap { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets a test hook run when a start gives up waiting for its connection, before it cleans up (null: none).</summary>
    internal Func<PendingLaunch, Task>? BeforeAbandoningStart { get; init; }

    /// <summary>Gets whether a start runs on the opener's thread instead of the thread pool (false); a seam for the tests.</summary>
    internal bool RunStartsInline { get; init; }

    /// <summary>Gets a test hook run right after the pipe listener accepts a connection (null: none); it may throw.</summary>
    internal Action? AfterAccept { get; init; }
}
