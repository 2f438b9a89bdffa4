using System.Net;
using System.Net.Sockets;
using System.Text;
using RuntimeEnvironment = System.Runtime.InteropServices.RuntimeEnvironment;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The launcher (src/MainProcess/IpcBroker.MiniLauncher) run directly, from the tests' own output (launcher/ beside the host),
/// around small real programs: what a program it starts can and cannot do.
/// </summary>
public class MiniLauncherTests : HostTestBase
{
    /// <summary>The launcher, where the MainProcess build puts it beside the host (here: beside the tests).</summary>
    internal static readonly string LauncherPath = Path.Combine(AppContext.BaseDirectory, "launcher", "IpcBroker.MiniLauncher.dll");

    private const string NodePath = "/usr/bin/node";
    private const string SetprivPath = "/usr/bin/setpriv";

    private static readonly string[] FullSandbox = ["--landlock", "6", "--seccomp"];

    private readonly List<string> directories = [];

    public MiniLauncherTests(ITestOutputHelper output)
        : base(output)
    {
        this.Scratch = this.NewDirectory("ipcb-launcher-test-");
    }

    /// <summary>Gets the program's HOME and TMPDIR (granted read-write where a test says so).</summary>
    private string Scratch { get; }

    [SkippableFact]
    public async Task DotNetProgramReachesItsOwnCodeUnderTheFullSandbox()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        string dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

        LaunchedProcess mini = await this.RunAsync(
            [.. FullSandbox, "--ro", dotnetRoot, "--ro", Path.GetDirectoryName(TestMiniAppPath)!, "--rw", this.Scratch, "--", ProcessProbe.DotnetHost, TestMiniAppPath]);

        // The mini's own Main ran and refused the empty stdin: the runtime started under Landlock and seccomp.
        Assert.Contains("launch line is empty", mini.Stderr, StringComparison.Ordinal);
        Assert.NotInRange(mini.ExitCode, 120, 127);
    }

    [SkippableFact]
    public async Task ReadingOutsideTheAllowedPathsFails()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        string granted = this.NewDirectory("ipcb-launcher-granted-");
        string secretDirectory = this.NewDirectory("ipcb-launcher-secret-");
        string secret = "secret-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(granted, "visible.txt"), "visible-text\n", this.TimeoutToken);
        await File.WriteAllTextAsync(Path.Combine(secretDirectory, "secret.txt"), secret + "\n", this.TimeoutToken);

        LaunchedProcess shell = await this.RunAsync(
            [.. FullSandbox, "--ro", "/usr/bin", "--ro", granted, "--", "/bin/sh", "-c", $"cat {granted}/visible.txt; cat {secretDirectory}/secret.txt; echo cat-secret=$?"]);

        Assert.Contains("visible-text", shell.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, shell.Stdout, StringComparison.Ordinal);
        Assert.Contains("cat-secret=1", shell.Stdout, StringComparison.Ordinal);
        Assert.Contains("Permission denied", shell.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task WritingWorksInsideReadWritePathsOnly()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        string outside = this.NewDirectory("ipcb-launcher-outside-");

        LaunchedProcess shell = await this.RunAsync(
            [.. FullSandbox, "--ro", "/usr/bin", "--rw", this.Scratch, "--", "/bin/sh", "-c", $"echo in > {this.Scratch}/inside.txt; echo inside=$?; echo out > {outside}/outside.txt; echo outside=$?"]);

        Assert.Contains("inside=0", shell.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(this.Scratch, "inside.txt")));
        Assert.DoesNotContain("outside=0", shell.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outside, "outside.txt")));
    }

    [SkippableFact]
    public async Task Fd3IsTheConnectedSocketAndNoOtherDescriptorIsInherited()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        string socketPath = Path.Combine(this.Scratch, "host.sock");
        using Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();

        // The launcher is given two inheritable descriptors (5 and 6) of its own, as a careless parent would: the
        // program must not see them.
        using LaunchedProcess launched = LaunchedProcess.Start(
            "/bin/sh",
            ["-c", "exec 5</dev/null 6</dev/null; exec \"$@\"", "sh", ProcessProbe.DotnetHost, LauncherPath, "--connect", socketPath, .. FullSandbox, "--ro", "/usr/bin", "--",
             "/bin/sh", "-c", "echo hello-from-fd3 >&3; ls /proc/$$/fd"],
            this.Environment());
        this.TrackPid(launched.Id);
        launched.Input.Close();

        using Socket peer = await listener.AcceptAsync(this.TimeoutToken);
        Assert.Equal("hello-from-fd3\n", await ReadToEndAsync(peer, this.TimeoutToken));
        await this.WaitForExitAsync(launched);

        Assert.Equal(["0", "1", "2", "3"], launched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableFact]
    public async Task SocketIsRefusedSoNoOtherUnixSocketIsReachable()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        Skip.IfNot(File.Exists(NodePath), $"node is not installed at {NodePath}");
        string socketPath = Path.Combine(this.Scratch, "other.sock");
        using Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen();
        Task<Socket> accept = listener.AcceptAsync(this.TimeoutToken).AsTask();

        // The socket is even inside a read-write path: Landlock does not control connect() to it, seccomp does.
        LaunchedProcess node = await this.RunAsync(
            [.. FullSandbox, "--ro", "/usr/bin", "--rw", this.Scratch, "--", NodePath, "-e", NodeConnect("process.argv[1]"), socketPath]);

        Assert.Contains("error EACCES", node.Stdout, StringComparison.Ordinal);
        await AssertStillPendingAsync(accept);
        listener.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => accept);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TcpConnectWorksWithTheNetworkOnly(bool network)
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        Skip.IfNot(File.Exists(NodePath), $"node is not installed at {NodePath}");
        TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            Task<Socket> accept = listener.AcceptSocketAsync(this.TimeoutToken).AsTask();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            string[] networkFlag = network ? ["--network"] : [];

            LaunchedProcess node = await this.RunAsync(
                [.. FullSandbox, .. networkFlag, "--ro", "/usr/bin", "--", NodePath, "-e", NodeConnect($"{{ host: '127.0.0.1', port: {port} }}")]);

            if (network)
            {
                Assert.Contains("connected", node.Stdout, StringComparison.Ordinal);
                using Socket accepted = await this.WithTimeoutAsync(accept);
            }
            else
            {
                Assert.Contains("error EACCES", node.Stdout, StringComparison.Ordinal);
                await AssertStillPendingAsync(accept);
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    [SkippableFact]
    public async Task TheParentCanNeitherBeSignalledNorHaveItsEnvironmentRead()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        int testPid = System.Environment.ProcessId;

        LaunchedProcess shell = await this.RunAsync(
            [.. FullSandbox, "--ro", "/usr/bin", "--", "/bin/sh", "-c", $"kill -0 {testPid}; echo kill=$?; cat /proc/{testPid}/environ >/dev/null; echo environ=$?"]);

        Assert.Contains("kill=1", shell.Stdout, StringComparison.Ordinal);
        Assert.Contains("environ=1", shell.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AnUnprivilegedHostGetsTheSameSandbox()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        Skip.IfNot(System.Environment.IsPrivilegedProcess && File.Exists(SetprivPath), $"needs root and {SetprivPath} to run the launcher as nobody");
        File.SetUnixFileMode(this.Scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        string elsewhere = this.NewDirectory("ipcb-launcher-elsewhere-");
        await File.WriteAllTextAsync(Path.Combine(elsewhere, "readable.txt"), "world-readable\n", this.TimeoutToken);
        File.SetUnixFileMode(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string[] asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", ProcessProbe.DotnetHost, LauncherPath];

        LaunchedProcess mini = await this.RunAsync(
            SetprivPath, [.. asNobody, .. FullSandbox, "--ro", dotnetRoot, "--ro", Path.GetDirectoryName(TestMiniAppPath)!, "--rw", this.Scratch, "--", ProcessProbe.DotnetHost, TestMiniAppPath]);
        LaunchedProcess shell = await this.RunAsync(
            SetprivPath, [.. asNobody, .. FullSandbox, "--ro", "/usr/bin", "--", "/bin/sh", "-c", $"id -u; cat {elsewhere}/readable.txt; echo cat=$?; grep -E '^Cap(Prm|Eff)' /proc/$$/status"]);

        Assert.Contains("launch line is empty", mini.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("65534\n", shell.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("world-readable", shell.Stdout, StringComparison.Ordinal);
        Assert.Contains("cat=1", shell.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapEff:\t0000000000000000", shell.Stdout, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task NamespacesAreRefused()
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);
        Skip.IfNot(File.Exists("/usr/bin/unshare"), "util-linux's unshare is not installed");

        // A user namespace needs no privilege: only the filter stops it.
        LaunchedProcess shell = await this.RunAsync([.. FullSandbox, "--ro", "/usr/bin", "--", "/bin/sh", "-c", "unshare -U true; echo unshare=$?"]);

        Assert.DoesNotContain("unshare=0", shell.Stdout, StringComparison.Ordinal);
        Assert.Contains("unshare failed: Operation not permitted", shell.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResourceLimitsAreSetSoftAndHard()
    {
        LaunchedProcess shell = await this.RunAsync(["--rlimit", "nofile=64", "--rlimit", "core=0", "--", "/bin/sh", "-c", "ulimit -Sn; ulimit -Hn; ulimit -Sc"]);

        Assert.Equal(["64", "64", "0"], shell.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [SkippableTheory]
    [InlineData(121, "--landlock 99 -- /bin/true")]
    [InlineData(121, "--landlock 6 --ro /nonexistent/path -- /bin/true")]
    [InlineData(123, "--cgroup /nonexistent/cgroup -- /bin/true")]
    [InlineData(125, "--connect /nonexistent/host.sock -- /bin/true")]
    [InlineData(127, "-- /nonexistent/program")]
    [InlineData(127, "--landlock 6 -- /bin/true")]
    public async Task EachFailedStepHasItsExitCode(int exitCode, string arguments)
    {
        Skip.IfNot(KernelSandboxProbe.FullSandbox, KernelSandboxProbe.FullSandboxMissing);

        LaunchedProcess launcher = await this.RunAsync(arguments.Split(' '));

        Assert.Equal(exitCode, launcher.ExitCode);
        Assert.StartsWith("ipcbroker-launcher: ", launcher.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CapabilitiesAreZeroEvenAfterAnotherExec()
    {
        // grep is a second exec below the launcher: a root program regains no capability from exec either.
        LaunchedProcess shell = await this.RunAsync(["--", "/bin/sh", "-c", "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status"]);

        string[] lines = shell.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.All(lines, line => Assert.EndsWith("\t0000000000000000", line, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("")]
    [InlineData("--")]
    [InlineData("--bogus -- /bin/true")]
    [InlineData("--landlock six -- /bin/true")]
    [InlineData("--landlock 6 /bin/true")]
    [InlineData("--ro relative/path -- /bin/true")]
    [InlineData("--rlimit stack=1 -- /bin/true")]
    [InlineData("--rlimit nofile=lots -- /bin/true")]
    [InlineData("--connect")]
    public async Task BadArgumentsExit120(string arguments)
    {
        LaunchedProcess launcher = await this.RunAsync(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(120, launcher.ExitCode);
        Assert.StartsWith("ipcbroker-launcher: ", launcher.Stderr, StringComparison.Ordinal);
    }

    public override void Dispose()
    {
        foreach (string directory in this.directories)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                this.Output.WriteLine($"cleanup: cannot remove {directory}: {e.Message}");
            }
        }

        base.Dispose();
    }

    /// <summary>A node script that connects to <paramref name="target"/> and prints "connected" or "error CODE".</summary>
    private static string NodeConnect(string target) =>
        $"const s = require('net').connect({target}); s.on('connect', () => {{ console.log('connected'); process.exit(0); }}); s.on('error', e => {{ console.log('error ' + e.code); process.exit(0); }});";

    private static async Task<string> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[256];
        StringBuilder text = new();
        int count;
        while ((count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, count));
        }

        return text.ToString();
    }

    /// <summary>Runs the launcher with <paramref name="arguments"/> and empty stdin, to its exit.</summary>
    private Task<LaunchedProcess> RunAsync(IEnumerable<string> arguments) => this.RunAsync(ProcessProbe.DotnetHost, [LauncherPath, .. arguments]);

    /// <summary>Runs <paramref name="fileName"/> with empty stdin, to its exit.</summary>
    private async Task<LaunchedProcess> RunAsync(string fileName, IEnumerable<string> arguments)
    {
        LaunchedProcess launched = LaunchedProcess.Start(fileName, arguments, this.Environment());
        this.TrackPid(launched.Id);
        launched.Input.Close();
        await this.WaitForExitAsync(launched);
        return launched;
    }

    private async Task WaitForExitAsync(LaunchedProcess launched)
    {
        int exitCode = await launched.WaitForExitAsync(this.TimeoutToken);
        this.Output.WriteLine($"exit {exitCode}\n--- stdout\n{launched.Stdout}--- stderr\n{launched.Stderr}---");
    }

    /// <summary>The clean environment a host gives a mini process (contract section 3).</summary>
    private Dictionary<string, string> Environment() => new()
    {
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        ["HOME"] = this.Scratch,
        ["TMPDIR"] = this.Scratch,
        ["DOTNET_EnableDiagnostics"] = "0",
    };

    private string NewDirectory(string prefix)
    {
        string directory = Directory.CreateTempSubdirectory(prefix).FullName;
        this.directories.Add(directory);
        return directory;
    }
}
