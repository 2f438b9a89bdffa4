using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using IpcBroker.HostileMini;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The sandbox escape test (issue 9, point 2): a hostile mini process that has passed its handshake tries every escape
/// the issue names (<see cref="EscapeChecks.Escapes"/>) against real targets this test sets up — a SQLite store in a 0700
/// data directory, a connection file, another mini program's and another user's sandbox, a control socket beside
/// host.sock, the test runtime's diagnostic socket, a second host's host.sock, an abstract socket, the host and the other
/// mini process, loopback TCP and UDP listeners — and reports each outcome through a main-side event. Every outcome is
/// printed; where a listener or a directory can see an escape, the test checks from that side too.
/// </summary>
/// <remarks>
/// With the host's protections in force (Landlock ABI 6 or later and seccomp) every escape must be blocked. Without them the
/// test still runs the attack, prints what got through and checks the report, then is skipped with the missing protection
/// named. Run alone: <c>dotnet test tests/IpcBroker.EndToEnd.Tests --filter Category=Sandbox</c>.
/// </remarks>
[Collection(FaultCollection.Name)]
[Trait("Category", "Sandbox")]
public sealed class SandboxEscapeTests : HostTestBase, IAsyncLifetime
{
    private const string Good = "wx-good";
    private const string Hostile = "wx-hostile";
    private const string User = "u-escape-a";
    private const string OtherUser = "u-escape-b";

    /// <summary>What the listeners see: the escapes a listener or directory of the test can observe.</summary>
    private static readonly string[] Observed =
    [
        "write-data-dir", "write-other-app-sandbox", "write-other-user-sandbox", "write-outside",
        "connect-control-socket", "connect-abstract-socket", "connect-other-host-socket", "tcp-connect", "udp-send",
        "chmod-data-file", "set-xattr-data-file", "utimes-data-file", "dgram-sendto", "shm-attach",
    ];

    private readonly string scratch = Path.Combine(Path.GetTempPath(), "ipcb-escape-test-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string writeOutside = Path.Combine(Path.GetTempPath(), "ipcb-escape-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ConcurrentDictionary<string, string> outcomes = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<int> reportDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IDisposable> listeners = [];
    private readonly TestLoggerProvider otherHostLogs;
    private readonly ILoggerFactory otherHostLoggerFactory;
    private MiniAppHost? otherHost;
    private int sharedMemoryId = -1;

    public SandboxEscapeTests(ITestOutputHelper output)
        : base(output)
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        this.otherHostLogs = new TestLoggerProvider(output);
        this.otherHostLoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(this.otherHostLogs));
    }

    [SkippableFact]
    public async Task EveryEscapeIsBlocked()
    {
        Escape e = await this.RunEscapeAttackAsync(grantNetwork: false);
        this.SkipUnlessProtected(e);

        Assert.All(EscapeChecks.Escapes, name => Assert.True(
            e.Outcomes[name].StartsWith(EscapeChecks.BlockedPrefix, StringComparison.Ordinal),
            $"{name} was not blocked: {e.Outcomes[name]}"));
    }

    [SkippableFact]
    public async Task NetworkGrantedToTheAppIdLetsItReachTheLoopbackListener()
    {
        Escape e = await this.RunEscapeAttackAsync(grantNetwork: true);
        this.SkipUnlessProtected(e);

        // The grant is the only difference: the network checks get through (seen by the listeners, above), nothing else does.
        Assert.StartsWith(EscapeChecks.ReachedPrefix, e.Outcomes["tcp-connect"], StringComparison.Ordinal);
        Assert.StartsWith(EscapeChecks.ReachedPrefix, e.Outcomes["udp-send"], StringComparison.Ordinal);
        Assert.All(EscapeChecks.Escapes.Except(["tcp-connect", "udp-send"]), name => Assert.True(
            e.Outcomes[name].StartsWith(EscapeChecks.BlockedPrefix, StringComparison.Ordinal),
            $"{name} was not blocked: {e.Outcomes[name]}"));
    }

    /// <summary>
    /// Closes the listeners, then ends the host and the processes (the base class), then the other host. The listeners
    /// go first: the control socket's file is in the host's pipe directory, which the host can remove only once it is
    /// empty (a closed .NET socket deletes its file).
    /// </summary>
    async Task IAsyncLifetime.DisposeAsync()
    {
        foreach (IDisposable listener in this.listeners)
        {
            listener.Dispose();
        }

        await base.DisposeAsync();
        if (this.otherHost is not null)
        {
            await this.otherHost.DisposeAsync().AsTask().WaitAsync(UnexpectedTimeout);
        }
    }

    public override void Dispose()
    {
        this.otherHostLoggerFactory.Dispose();
        if (this.sharedMemoryId >= 0 && SystemV.ShmCtl(this.sharedMemoryId, SystemV.IpcRemove, 0) != 0)
        {
            this.Output.WriteLine($"cleanup: could not remove shared memory segment {this.sharedMemoryId}: errno {Marshal.GetLastPInvokeError()}");
        }

        foreach (string path in new[] { this.scratch, this.writeOutside })
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
                else
                {
                    File.Delete(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                this.Output.WriteLine($"cleanup: could not remove {path}: {ex.Message}");
            }
        }

        base.Dispose();
    }

    private static string Private(string directory)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    private static bool HasPendingConnection(Socket listener) => listener.Poll(0, SelectMode.SelectRead);

    /// <summary>Reads this process's <c>RLIMIT_NOFILE</c> (soft, hard) as the kernel has it.</summary>
    private static (ulong Soft, ulong Hard) OpenFilesLimit()
    {
        ulong[] limit = new ulong[2];
        Assert.True(SystemV.GetRLimit(SystemV.RlimitNoFile, limit) == 0, $"getrlimit(RLIMIT_NOFILE): errno {Marshal.GetLastPInvokeError()}");
        return (limit[0], limit[1]);
    }

    private static bool HasExtendedAttribute(string path) =>
        SystemV.GetXattr(path, EscapeChecks.ExtendedAttributeName, 0, 0) >= 0;

    /// <summary>
    /// Creates a System V shared memory segment with a fresh key and writes <paramref name="content"/> at its start, as a
    /// host's own segment would hold its data; returns its id and key.
    /// </summary>
    private static (int Id, int Key) CreateSharedMemory(string content)
    {
        for (int attempt = 0; ; attempt++)
        {
            int key = System.Security.Cryptography.RandomNumberGenerator.GetInt32(0x10000, int.MaxValue);
            int id = SystemV.ShmGet(key, 4096, SystemV.IpcCreate | SystemV.IpcExclusive | Convert.ToInt32("600", 8));
            if (id < 0)
            {
                Assert.True(attempt < 8, $"shmget(IPC_CREAT|IPC_EXCL): errno {Marshal.GetLastPInvokeError()}");
                continue;
            }

            nint address = SystemV.ShmAt(id, 0, 0);
            Assert.True(address != -1, $"shmat: errno {Marshal.GetLastPInvokeError()}");
            byte[] bytes = Encoding.ASCII.GetBytes(content);
            Marshal.Copy(bytes, 0, address, bytes.Length);
            SystemV.ShmDt(address);
            return (id, key);
        }
    }

    /// <summary>Reads the start of the segment <paramref name="id"/> as text, <paramref name="length"/> bytes.</summary>
    private static string ReadSharedMemory(int id, int length)
    {
        nint address = SystemV.ShmAt(id, 0, SystemV.ShmReadOnly);
        Assert.True(address != -1, $"shmat: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            byte[] bytes = new byte[length];
            Marshal.Copy(address, bytes, 0, length);
            return Encoding.ASCII.GetString(bytes);
        }
        finally
        {
            SystemV.ShmDt(address);
        }
    }

    /// <summary>
    /// Sets up every target, opens the good mini program and then the hostile one (armed with the escape attack), waits for
    /// its whole report, prints it, and checks what does not depend on the sandbox: every check reported once, the controls
    /// got through, no check erred, and each escape a listener can see is seen by it exactly when it was reported reached.
    /// </summary>
    private async Task<Escape> RunEscapeAttackAsync(bool grantNetwork)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the sandbox escape test needs Linux");
        Private(this.scratch);

        // The host's data directory with its SQLite store, and the command line's connection file: outside every sandbox.
        string dataFile = Path.Combine(Private(Path.Combine(this.scratch, "data")), "openapi.db");
        await (await this.WithTimeoutAsync(OpenApiStore.OpenAsync(dataFile))).DisposeAsync();
        UnixFileMode dataFileMode = File.GetUnixFileMode(dataFile);
        DateTime dataFileWritten = File.GetLastWriteTimeUtc(dataFile);
        string testFile = Path.Combine(this.scratch, "test-secret.txt");
        await File.WriteAllTextAsync(testFile, "the test's own file");

        // Listeners the hostile mini must not reach: a control socket where serve puts it, an abstract socket, TCP and UDP.
        string sandboxRoot = Path.Combine(this.scratch, "sandboxes");
        string scriptDirectory = Path.Combine(this.scratch, "script");
        var script = HostileMiniScript.Create(scriptDirectory, FaultTests.HostileMiniPath, TestMiniAppPath);
        var sandbox = new MiniSandboxOptions
        {
            NetworkAppIds = grantNetwork ? new HashSet<string>(StringComparer.Ordinal) { Hostile } : new HashSet<string>(StringComparer.Ordinal),

            // The mini executable is the wrapper script, in a directory the minis may only read: it claims its attack by
            // renaming a file in the arm directory (read-write) and runs one of the two test dlls. Neither holds a target.
            ReadOnlyPaths = script.ReadOnlyPaths,
            ReadWritePaths = script.ReadWritePaths,
        };

        // No spare: the script decides at a process's start which attack it runs, and a spare starts before it is armed.
        MiniAppHost host = this.StartHost(new MiniAppHostOptions { MiniExecutablePath = script.ScriptPath, SpareProcesses = 0, SandboxRoot = sandboxRoot, Sandbox = sandbox });
        host.SignIn(User);
        this.Output.WriteLine($"protections: LandlockAbi {host.Protections.LandlockAbi}, seccomp {host.Protections.Seccomp}, missing: {string.Join("; ", host.Protections.Missing)}");

        Socket control = this.Listen(new UnixDomainSocketEndPoint(Path.Combine(Path.GetDirectoryName(host.PipePath)!, "control.sock")));
        string connectionFile = Path.Combine(Private(Path.Combine(this.scratch, "cli")), "serve.json");
        await File.WriteAllTextAsync(connectionFile, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["control"] = Path.Combine(Path.GetDirectoryName(host.PipePath)!, "control.sock"),
            ["token"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["pid"] = Environment.ProcessId,
        }));
        string abstractName = "ipcb-escape-" + Guid.NewGuid().ToString("N")[..12];
        Socket abstractListener = this.Listen(new UnixDomainSocketEndPoint("\0" + abstractName));
        var tcp = new TcpListener(IPAddress.Loopback, 0);
        tcp.Start();
        this.listeners.Add(tcp.Server);
        var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        this.listeners.Add(udp);

        // A pathname datagram socket (as journald's or /dev/log), a shared memory segment with the host's data in it, and
        // this process's open-files limit, which the hostile mini sets to what it is if it can.
        string datagramPath = Path.Combine(this.scratch, "dgram.sock");
        var datagram = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        this.listeners.Add(datagram);
        datagram.Bind(new UnixDomainSocketEndPoint(datagramPath));
        const string HostSegmentData = "the host's segment";
        (this.sharedMemoryId, int sharedMemoryKey) = CreateSharedMemory(HostSegmentData);
        (ulong Soft, ulong Hard) openFilesBefore = OpenFilesLimit();

        // Another host of the same user, whose accept loop says when anything connects to its host.sock.
        var otherHostAccepted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        this.otherHost = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SpareProcesses = 0, AfterAccept = () => otherHostAccepted.TrySetResult() }, this.otherHostLoggerFactory);

        // The runtime of this test process (the host) listens on its diagnostic socket unless diagnostics are off.
        string? diagnostic = Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{Environment.ProcessId}-*-socket").FirstOrDefault();
        Assert.True(diagnostic is not null, $"this test process has no diagnostic socket in {Path.GetTempPath()} (DOTNET_EnableDiagnostics=0?): the escape to it cannot be tried");

        // The other, well-behaved mini program (same user), with a file in its sandbox; and another user's sandbox.
        MiniAppInfo good = await this.OpenAsync(Good);
        string otherAppFile = Path.Combine(SandboxLayout.Prepare(sandboxRoot, User, new MiniAppKey(Good, MiniAppVerType.Release))!, "wx-good-data.txt");
        await File.WriteAllTextAsync(otherAppFile, "wx-good's own data");
        string otherUserFile = Path.Combine(SandboxLayout.Prepare(sandboxRoot, OtherUser, new MiniAppKey(Hostile, MiniAppVerType.Release))!, "other-user-data.txt");
        await File.WriteAllTextAsync(otherUserFile, "another user's data");

        Bundle targets = new Bundle()
            .PutString(EscapeChecks.DataFileKey, dataFile)
            .PutString(EscapeChecks.ConnectionFileKey, connectionFile)
            .PutString(EscapeChecks.OtherAppFileKey, otherAppFile)
            .PutString(EscapeChecks.OtherUserFileKey, otherUserFile)
            .PutString(EscapeChecks.TestFileKey, testFile)
            .PutString(EscapeChecks.WriteOutsideKey, this.writeOutside)
            .PutString(EscapeChecks.ControlSocketKey, ((UnixDomainSocketEndPoint)control.LocalEndPoint!).ToString())
            .PutString(EscapeChecks.DiagnosticSocketKey, diagnostic)
            .PutString(EscapeChecks.OtherHostSocketKey, this.otherHost.PipePath)
            .PutString(EscapeChecks.AbstractSocketKey, abstractName)
            .PutString(EscapeChecks.HostPidKey, Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            .PutString(EscapeChecks.OtherMiniPidKey, good.ProcessId.ToString(CultureInfo.InvariantCulture))
            .PutString(EscapeChecks.TcpPortKey, ((IPEndPoint)tcp.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture))
            .PutString(EscapeChecks.UdpPortKey, ((IPEndPoint)udp.Client.LocalEndPoint!).Port.ToString(CultureInfo.InvariantCulture))
            .PutString(EscapeChecks.DatagramSocketKey, datagramPath)
            .PutString(EscapeChecks.SharedMemoryKey, sharedMemoryKey.ToString(CultureInfo.InvariantCulture));
        this.MainRegistry.AddHandler(EscapeChecks.TargetsEvent, request =>
            Task.FromResult(request.Caller.AppId == Hostile ? targets : new Bundle()));
        this.MainRegistry.AddHandler(EscapeChecks.ReportEvent, request => Task.FromResult(this.Record(request)));

        script.Arm("escape");
        MiniAppInfo hostile = await this.OpenAsync(Hostile);
        this.Output.WriteLine($"good mini pid {good.ProcessId}, hostile mini pid {hostile.ProcessId}, host (this test) pid {Environment.ProcessId}, network granted: {grantNetwork}");
        int reported = await this.WithTimeoutAsync(this.reportDone.Task);

        // What the listeners and directories saw, read once the hostile has said it is done (each connect had returned).
        var seen = new Dictionary<string, bool>(StringComparer.Ordinal)
        {
            ["write-data-dir"] = File.Exists(Path.Combine(Path.GetDirectoryName(dataFile)!, EscapeChecks.WrittenFileName)),
            ["write-other-app-sandbox"] = File.Exists(Path.Combine(Path.GetDirectoryName(otherAppFile)!, EscapeChecks.WrittenFileName)),
            ["write-other-user-sandbox"] = File.Exists(Path.Combine(Path.GetDirectoryName(otherUserFile)!, EscapeChecks.WrittenFileName)),
            ["write-outside"] = File.Exists(this.writeOutside),
            ["connect-control-socket"] = HasPendingConnection(control),
            ["connect-abstract-socket"] = HasPendingConnection(abstractListener),
            ["tcp-connect"] = tcp.Pending(),
            ["udp-send"] = udp.Available > 0,
            ["chmod-data-file"] = File.GetUnixFileMode(dataFile) != dataFileMode,
            ["set-xattr-data-file"] = HasExtendedAttribute(dataFile),
            ["utimes-data-file"] = File.GetLastWriteTimeUtc(dataFile) != dataFileWritten,
            ["dgram-sendto"] = datagram.Available > 0,
            ["shm-attach"] = ReadSharedMemory(this.sharedMemoryId, HostSegmentData.Length) != HostSegmentData,
        };

        // The other host accepts on a thread of its own: a connection it got may be accepted a moment after it was made.
        bool reachedOtherHost = this.outcomes.GetValueOrDefault("connect-other-host-socket", string.Empty).StartsWith(EscapeChecks.ReachedPrefix, StringComparison.Ordinal);
        Task waited = reachedOtherHost ? Task.Delay(UnexpectedTimeout, this.TimeoutToken) : Task.Delay(ExpectedTimeout, this.TimeoutToken);
        seen["connect-other-host-socket"] = await Task.WhenAny(otherHostAccepted.Task, waited) == otherHostAccepted.Task;

        var escape = new Escape(new Dictionary<string, string>(this.outcomes, StringComparer.Ordinal), host.Protections);
        this.Print(escape, seen);

        // The report is whole: every named check once, the count the hostile sent matches, and no check failed to run.
        string[] expected = [.. EscapeChecks.Escapes, .. EscapeChecks.Controls];
        string[] missing = [.. expected.Where(name => !escape.Outcomes.ContainsKey(name))];
        Assert.True(missing.Length == 0, "no outcome reported for: " + string.Join(", ", missing));
        Assert.Equal(expected.Length, reported);
        Assert.Equal(expected.Length, escape.Outcomes.Count);
        Assert.All(expected, name => Assert.False(
            escape.Outcomes[name].StartsWith(EscapeChecks.ErrorPrefix, StringComparison.Ordinal),
            $"{name} proves nothing: {escape.Outcomes[name]}"));

        // The controls show that the attack's primitives work where the mini may go.
        Assert.All(EscapeChecks.Controls, name => Assert.StartsWith(EscapeChecks.ReachedPrefix, escape.Outcomes[name], StringComparison.Ordinal));

        // Whether or not prlimit got through, the host's limit is what it was (the hostile sets it to its current value).
        Assert.Equal(openFilesBefore, OpenFilesLimit());

        // From the other side: each observable escape was seen exactly when it was reported reached.
        Assert.All(Observed, name => Assert.True(
            seen[name] == escape.Outcomes[name].StartsWith(EscapeChecks.ReachedPrefix, StringComparison.Ordinal),
            $"{name}: reported '{escape.Outcomes[name]}' but the test's side {(seen[name] ? "saw it" : "saw nothing")}"));
        return escape;
    }

    /// <summary>Skips, naming what is missing, unless the host applies Landlock ABI 6 or later and seccomp.</summary>
    private void SkipUnlessProtected(Escape e)
    {
        MiniProcessProtections p = e.Protections;
        Skip.If(
            p.LandlockAbi < MiniProcessProtections.RequiredLandlockAbi || !p.Seccomp,
            $"the host's protections are not in force (Landlock ABI {p.LandlockAbi}, need {MiniProcessProtections.RequiredLandlockAbi}; seccomp {p.Seccomp}; missing: {string.Join("; ", p.Missing)}); " +
            $"without them {e.Reached} of {EscapeChecks.Escapes.Count} escapes got through");
    }

    private Bundle Record(IpcRequest request)
    {
        if (request.Caller.AppId != Hostile)
        {
            return new Bundle();
        }

        if (request.Data.ContainsKey(EscapeChecks.DoneKey))
        {
            this.reportDone.TrySetResult(request.Data.GetInt(EscapeChecks.DoneKey));
        }
        else if (request.Data.GetString(EscapeChecks.CheckKey) is { } check && !this.outcomes.TryAdd(check, request.Data.GetString(EscapeChecks.OutcomeKey) ?? "(no outcome)"))
        {
            this.outcomes[check] = EscapeChecks.ErrorPrefix + "reported twice";
        }

        return new Bundle();
    }

    private Socket Listen(UnixDomainSocketEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        this.listeners.Add(socket);
        socket.Bind(endPoint);
        socket.Listen(8);
        return socket;
    }

    private void Print(Escape e, Dictionary<string, bool> seen)
    {
        this.Output.WriteLine($"ESCAPE report: {e.Reached} of {EscapeChecks.Escapes.Count} escapes REACHED (protections: Landlock ABI {e.Protections.LandlockAbi}, seccomp {e.Protections.Seccomp})");
        foreach (string name in EscapeChecks.Escapes.Concat(EscapeChecks.Controls))
        {
            string side = seen.TryGetValue(name, out bool s) ? (s ? " [the test's side saw it]" : " [the test's side saw nothing]") : string.Empty;
            this.Output.WriteLine($"ESCAPE {name}: {e.Outcomes.GetValueOrDefault(name, "(not reported)")}{side}");
        }
    }

    /// <summary>The System V and resource-limit calls the test makes from its own side.</summary>
    private static class SystemV
    {
        public const int IpcCreate = 0x200, IpcExclusive = 0x400, IpcRemove = 0, ShmReadOnly = 0x1000, RlimitNoFile = 7;

        [DllImport("libc", EntryPoint = "shmget", SetLastError = true)]
        public static extern int ShmGet(int key, nint size, int flags);

        [DllImport("libc", EntryPoint = "shmat", SetLastError = true)]
        public static extern nint ShmAt(int id, nint address, int flags);

        [DllImport("libc", EntryPoint = "shmdt", SetLastError = true)]
        public static extern int ShmDt(nint address);

        [DllImport("libc", EntryPoint = "shmctl", SetLastError = true)]
        public static extern int ShmCtl(int id, int command, nint buffer);

        [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
        public static extern int GetRLimit(int resource, ulong[] limit);

        [DllImport("libc", EntryPoint = "getxattr", SetLastError = true)]
        public static extern nint GetXattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, nint value, nint size);
    }

    /// <summary>What the hostile reported, and what the host applied.</summary>
    private sealed record Escape(IReadOnlyDictionary<string, string> Outcomes, MiniProcessProtections Protections)
    {
        public int Reached => EscapeChecks.Escapes.Count(name => this.Outcomes.GetValueOrDefault(name, string.Empty).StartsWith(EscapeChecks.ReachedPrefix, StringComparison.Ordinal));
    }
}
