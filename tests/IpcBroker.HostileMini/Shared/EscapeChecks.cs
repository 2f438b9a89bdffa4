namespace IpcBroker.HostileMini;

/// <summary>
/// What the <c>escape</c> attack and the sandbox escape test agree on (issue 9, point 2): the main-side events the attack
/// calls, the targets it asks for, the name of every escape it tries, and how it words an outcome.
/// </summary>
/// <remarks>
/// Compiled into the hostile mini process and the end-to-end tests from this one file. After its handshake the attack
/// calls <see cref="TargetsEvent"/> once, tries every check in <see cref="Escapes"/> and <see cref="Controls"/> in that
/// order, and sends each outcome to <see cref="ReportEvent"/> as it has it (<see cref="CheckKey"/>,
/// <see cref="OutcomeKey"/>), then one last call with <see cref="DoneKey"/> set to the number of outcomes it sent.
/// </remarks>
public static class EscapeChecks
{
    /// <summary>A main-side event the test registers: it answers with the targets (the <c>*Key</c> strings below).</summary>
    public const string TargetsEvent = "fault.escape.targets";

    /// <summary>A main-side event the test registers: one outcome per call, or the end of the report.</summary>
    public const string ReportEvent = "fault.escape.report";

    /// <summary>The report's key for the check's name.</summary>
    public const string CheckKey = "check";

    /// <summary>The report's key for the outcome's text (see <see cref="BlockedPrefix"/> and the others).</summary>
    public const string OutcomeKey = "outcome";

    /// <summary>The report's key, in its last call, for how many outcomes were sent before it.</summary>
    public const string DoneKey = "done";

    /// <summary>An outcome that starts with this was refused by the system: EACCES or EPERM (the text names which and where).</summary>
    public const string BlockedPrefix = "blocked: ";

    /// <summary>An outcome that starts with this got through; the text says what it got.</summary>
    public const string ReachedPrefix = "REACHED: ";

    /// <summary>
    /// An outcome that starts with this proves nothing either way: the check failed for another reason (ENOENT, ECONNREFUSED, a
    /// missing target...). The test counts it as a failure of the check, never as a block.
    /// </summary>
    public const string ErrorPrefix = "ERROR: ";

    /// <summary>
    /// The name of the file a write check creates in a directory it should not reach; left in place when it got through,
    /// so that the test sees the write from its side too.
    /// </summary>
    public const string WrittenFileName = "ipcb-escape-written";

    /// <summary>Target: the host's SQLite store (a file in a 0700 data directory outside every sandbox).</summary>
    public const string DataFileKey = "dataFile";

    /// <summary>Target: the command line's connection file (a serve.json in the test's own 0700 directory).</summary>
    public const string ConnectionFileKey = "connectionFile";

    /// <summary>Target: a file in the other, well-behaved mini program's sandbox (same user).</summary>
    public const string OtherAppFileKey = "otherAppFile";

    /// <summary>Target: a file in a sandbox of another user (same appId).</summary>
    public const string OtherUserFileKey = "otherUserFile";

    /// <summary>Target: a file in the test's own directory, outside every sandbox.</summary>
    public const string TestFileKey = "testFile";

    /// <summary>Target: a path in the system temp directory that does not exist; the test checks it still does not after.</summary>
    public const string WriteOutsideKey = "writeOutside";

    /// <summary>Target: a Unix socket the test listens on where <c>serve</c> puts its control socket (beside host.sock).</summary>
    public const string ControlSocketKey = "controlSocket";

    /// <summary>Target: the host runtime's <c>/tmp/dotnet-diagnostic-&lt;pid&gt;-*-socket</c>.</summary>
    public const string DiagnosticSocketKey = "diagnosticSocket";

    /// <summary>Target: another host's <c>host.sock</c>.</summary>
    public const string OtherHostSocketKey = "otherHostSocket";

    /// <summary>Target: the name (without its leading NUL) of an abstract Unix socket the test listens on.</summary>
    public const string AbstractSocketKey = "abstractSocket";

    /// <summary>Target: the host's pid (decimal).</summary>
    public const string HostPidKey = "hostPid";

    /// <summary>Target: the other mini process's pid (decimal).</summary>
    public const string OtherMiniPidKey = "otherMiniPid";

    /// <summary>Target: the port of a TCP listener on 127.0.0.1 (decimal).</summary>
    public const string TcpPortKey = "tcpPort";

    /// <summary>Target: the port of a UDP socket on 127.0.0.1 (decimal).</summary>
    public const string UdpPortKey = "udpPort";

    /// <summary>Target: the path of a datagram Unix socket the test has bound, outside every sandbox.</summary>
    public const string DatagramSocketKey = "datagramSocket";

    /// <summary>Target: the key (decimal) of a System V shared memory segment the test created and filled.</summary>
    public const string SharedMemoryKey = "sharedMemoryKey";

    /// <summary>The extended attribute <c>set-xattr-data-file</c> sets on the data file; the test checks it is absent after.</summary>
    public const string ExtendedAttributeName = "user.x";

    /// <summary>The bytes <c>shm-attach</c> writes at the start of the test's segment when it gets it; the test checks they are not there.</summary>
    public const string SharedMemoryScribble = "escaped!";

    /// <summary>Gets every escape the attack tries, in order; each must come back blocked when the sandbox is in force.</summary>
    public static IReadOnlyList<string> Escapes { get; } =
    [
        "read-data-dir", "write-data-dir", "read-connection-file",
        "read-other-app-sandbox", "write-other-app-sandbox", "read-other-user-sandbox", "write-other-user-sandbox",
        "read-test-directory", "read-root-home", "read-etc-shadow", "write-outside",
        "connect-control-socket", "connect-diagnostic-socket", "connect-other-host-socket", "connect-abstract-socket",
        "signal-host-0", "signal-host-cont", "signal-mini-0", "signal-mini-cont",
        "ptrace-host", "ptrace-mini",
        "read-host-environ", "read-host-mem", "read-host-cmdline", "read-mini-environ", "read-mini-stdin",
        "tcp-connect", "udp-send",
        "chmod-data-file", "chown-data-file", "set-xattr-data-file", "utimes-data-file",
        "prlimit-host", "dgram-sendto", "dgram-connect", "dgram-raw-sendto", "shm-attach",
    ];

    /// <summary>
    /// Gets the checks that must get through even in the sandbox (the mini's own sandbox and temp directory, and a
    /// <c>fchmod</c> to 0600 of a file of its own, which node's and .NET's file copy make): they show that the attack's
    /// primitives work where it is allowed, so that a "blocked" elsewhere means the sandbox refused.
    /// </summary>
    public static IReadOnlyList<string> Controls { get; } = ["control-own-sandbox", "control-own-temp", "control-own-fchmod"];
}
