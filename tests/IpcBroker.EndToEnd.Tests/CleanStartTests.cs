using System.Runtime.InteropServices;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// A mini process starts clean: an allow-listed environment, its own directory as working directory and <c>HOME</c>, a
/// private scratch directory removed at its exit, no inherited descriptor but its standard streams and (sandboxed) its
/// connection at fd 3; and the host says which protections it applies. Checked on the test mini app's dll, whose pid is
/// the mini process itself (a shell wrapper would add its own script's descriptor).
/// </summary>
public class CleanStartTests(ITestOutputHelper output) : HostTestBase(output)
{
    /// <summary>Every name a mini process's environment may hold.</summary>
    private static readonly HashSet<string> AllowedNames = ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "DOTNET_EnableDiagnostics", "DOTNET_GCHeapHardLimit", "HOST_APP_SETTING"];

    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-clean-" + Guid.NewGuid().ToString("N")[..8]);

    [Theory]
    [InlineData(MiniSandboxMode.Auto)]
    [InlineData(MiniSandboxMode.Off)]
    public async Task TheEnvironmentHoldsOnlyAllowListedNamesAndHomeIsTheSandbox(MiniSandboxMode mode)
    {
        // A variable only the host has: it must not reach the mini process.
        Environment.SetEnvironmentVariable("IPCB_TEST_HOST_SECRET", "do-not-pass");
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SandboxRoot = this.root, Sandbox = new MiniSandboxOptions { Mode = mode, Environment = new Dictionary<string, string> { ["HOST_APP_SETTING"] = "on" } } });
        this.Host.SignIn("u-clean");

        MiniAppInfo mini = await this.OpenAsync("wx-env");
        Dictionary<string, string> environment = await ReadEnvironmentAsync(mini.ProcessId);
        this.Output.WriteLine(string.Join("\n", environment.Select(e => $"{e.Key}={e.Value}")));

        Assert.DoesNotContain(environment.Keys, name => !AllowedNames.Contains(name));
        Assert.DoesNotContain("XDG_RUNTIME_DIR", environment.Keys);
        Assert.Equal("/usr/local/bin:/usr/bin:/bin", environment["PATH"]);
        Assert.Equal("0", environment["DOTNET_EnableDiagnostics"]);
        Assert.Equal("0x18000000", environment["DOTNET_GCHeapHardLimit"]); // three quarters of the default 512 MiB
        Assert.Equal("on", environment["HOST_APP_SETTING"]);

        string sandbox = Path.Combine(this.root, SandboxLayout.UserKey("u-clean"), "wx-env-release");
        Assert.Equal(sandbox, environment["HOME"]);
        Assert.Equal(sandbox, new DirectoryInfo($"/proc/{mini.ProcessId}/cwd").LinkTarget);
        AssertScratchDirectory(environment["TMPDIR"]);
    }

    [Fact]
    public async Task WithoutSandboxesHomeAndWorkingDirectoryAreTheScratchDirectoryWhichGoesAtExit()
    {
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-scratch");
        Dictionary<string, string> environment = await ReadEnvironmentAsync(mini.ProcessId);
        string scratch = environment["TMPDIR"];
        AssertScratchDirectory(scratch);
        Assert.Equal(scratch, environment["HOME"]);
        Assert.Equal(scratch, new DirectoryInfo($"/proc/{mini.ProcessId}/cwd").LinkTarget);

        // Something of the mini's own in it, so that removing it is removing a tree.
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-scratch", TestEvents.Echo, new Bundle()))).IsSuccess);
        await File.WriteAllTextAsync(Path.Combine(scratch, "left-behind"), "x", this.TimeoutToken);

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync("wx-scratch")));
        await this.WaitForExitNoticeAsync(mini.ProcessId);
        Assert.False(Directory.Exists(scratch), $"{scratch} is still there after its process exited");
    }

    [SkippableFact]
    public async Task OnlyTheStandardStreamsAndTheConnectionAreInherited()
    {
        this.StartHost();
        Skip.IfNot(this.Host.Protections.PreConnectedSocket, $"the mini processes are not started through the launcher here: {string.Join("; ", this.Host.Protections.Missing)}");
        Skip.IfNot(KcmpWorks(), "kcmp(KCMP_FILE) is not available: descriptors cannot be compared across processes");

        // A descriptor the host leaves inheritable (no O_CLOEXEC), as a native library might: the launcher must not pass it on.
        int canary = Open("/dev/null", 0);
        Assert.True(canary >= 0, $"open failed with errno {Marshal.GetLastPInvokeError()}");
        MiniAppInfo mini;
        try
        {
            mini = await this.OpenAsync("wx-fds");
        }
        finally
        {
            // Closed as soon as the mini has started, so that processes other tests start meanwhile get it for no longer.
            Assert.Equal(0, Close(canary));
        }

        int pid = mini.ProcessId;
        Dictionary<int, string> descriptors = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").ToDictionary(p => int.Parse(Path.GetFileName(p), System.Globalization.CultureInfo.InvariantCulture), p => new FileInfo(p).LinkTarget ?? "?");
        this.Output.WriteLine(string.Join("\n", descriptors.OrderBy(d => d.Key).Select(d => $"{d.Key} -> {d.Value}")));
        Assert.StartsWith("pipe:", descriptors[0]);
        Assert.StartsWith("pipe:", descriptors[1]);
        Assert.StartsWith("pipe:", descriptors[2]);
        Assert.StartsWith("socket:", descriptors[3]);

        // Every other descriptor is the mini's own: none shares an open file with any of the host's (inherited ones do).
        int[] hostDescriptors = [.. Directory.EnumerateFileSystemEntries("/proc/self/fd").Select(p => int.Parse(Path.GetFileName(p), System.Globalization.CultureInfo.InvariantCulture))];
        var inherited = new List<string>();
        foreach ((int fd, string target) in descriptors.Where(d => d.Key > 3))
        {
            foreach (int hostFd in hostDescriptors)
            {
                if (Kcmp(pid, Environment.ProcessId, KcmpFile, (ulong)fd, (ulong)hostFd) == 0)
                {
                    inherited.Add($"{fd} -> {target} (the host's {hostFd})");
                }
            }
        }

        Assert.Empty(inherited);
    }

    [Fact]
    public async Task TheProtectionsAreLoggedAtStartAndShownPerMiniProgram()
    {
        this.StartHost(this.HostOptions with { Sandbox = new MiniSandboxOptions { NetworkAppIds = new HashSet<string> { "wx-online" } } });
        MiniProcessProtections protections = this.Host.Protections;
        TestLogRecord logged = await this.WaitForLogAsync(r => r.EventId is 2040 or 2041);
        Assert.Equal(protections.IsComplete ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning, logged.Level);
        foreach (string missing in protections.Missing)
        {
            Assert.Contains(missing, logged.Message);
        }

        MiniAppInfo mini = await this.OpenAsync("wx-report");
        MiniProcessSandbox sandbox = Assert.IsType<MiniProcessSandbox>(mini.Sandbox);
        Assert.Contains("clean environment", sandbox.Protections);
        Assert.Equal(protections.PreConnectedSocket, sandbox.Protections.Contains("pre-connected socket"));
        Assert.Equal(protections.Seccomp, sandbox.Protections.Contains("seccomp"));
        Assert.Equal(!protections.Seccomp, sandbox.Network);
        Assert.Contains(sandbox.Limits, l => l.Name == "memoryBytes" && l.Value == 512.0 * 1024 * 1024);

        // Only the appId granted network has it (where seccomp would stop it otherwise).
        MiniAppInfo online = await this.OpenAsync("wx-online");
        Assert.True(online.Sandbox!.Network);
    }

    [Fact]
    public async Task RequiredWithoutTheLauncherFailsTheStartSayingWhy()
    {
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            Sandbox = new MiniSandboxOptions { Mode = MiniSandboxMode.Required, LauncherPath = Path.Combine(this.root, "no-launcher", "IpcBroker.MiniLauncher.dll") },
        });

        var ex = await Assert.ThrowsAsync<MiniAppStartException>(() => this.OpenAsync("wx-required"));

        this.Output.WriteLine(ex.Message);
        Assert.Contains("sandbox is required", ex.Message);
        Assert.Contains("the launcher", ex.Message);
        Assert.Contains("no-launcher", ex.Message);
        Assert.Empty(this.Host.ProcessIds);
    }

    [Fact]
    public async Task RequiredOnAKernelWithoutLandlock6OrSeccompFailsTheStartSayingWhy()
    {
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            Sandbox = new MiniSandboxOptions { Mode = MiniSandboxMode.Required, ProbeKernel = () => new KernelSandboxFeatures(5, null, false, "the test's kernel has none") },
        });

        var ex = await Assert.ThrowsAsync<MiniAppStartException>(() => this.OpenAsync("wx-required"));

        this.Output.WriteLine(ex.Message);
        Assert.Contains("Landlock ABI 6 or later", ex.Message);
        Assert.Contains("seccomp", ex.Message);
        Assert.Empty(this.Host.ProcessIds);
    }

    /// <summary>
    /// A read-write grant over the mini executable's directory (the script or dll every later process runs), the
    /// launcher's directory or the sandbox root (every other program's and user's sandbox) would let one mini program
    /// plant code in, or read, another's: the host refuses it at start.
    /// </summary>
    [Theory]
    [InlineData("the mini directory")]
    [InlineData("the mini directory, with a trailing slash")]
    [InlineData("a directory inside the mini directory")]
    [InlineData("a directory holding the mini directory")]
    [InlineData("the launcher directory")]
    [InlineData("the sandbox root")]
    [InlineData("a sandbox inside the sandbox root")]
    [InlineData("the temp directory")]
    [InlineData("the .NET runtime directory")]
    [InlineData("the host's own directory")]
    public void AReadWriteGrantOverTheMiniTheLauncherOrTheSandboxRootIsRefusedAtStart(string which)
    {
        string miniDirectory = Path.GetDirectoryName(Path.GetFullPath(TestMiniAppPath))!;
        string grant = which switch
        {
            "the mini directory" => miniDirectory,
            "the mini directory, with a trailing slash" => miniDirectory + "/",
            "a directory inside the mini directory" => Path.Combine(miniDirectory, "plugins"),
            "a directory holding the mini directory" => Path.GetDirectoryName(miniDirectory)!,
            "the launcher directory" => Path.Combine(AppContext.BaseDirectory, "launcher"),
            "the sandbox root" => this.root,
            "a sandbox inside the sandbox root" => Path.Combine(this.root, "u-other", "wx-other-release"),
            "the temp directory" => Path.GetTempPath(),
            "the .NET runtime directory" => System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
            "the host's own directory" => AppContext.BaseDirectory,
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };

        var ex = Assert.Throws<IpcConfigurationException>(() => this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            SandboxRoot = this.root,
            Sandbox = new MiniSandboxOptions { ReadWritePaths = [grant] },
        }));
        this.Output.WriteLine(ex.Message);
        Assert.Contains("ReadWritePaths", ex.Message);
        Assert.Contains(Path.TrimEndingDirectorySeparator(Path.GetFullPath(grant)), ex.Message);
    }

    /// <summary>A grant whose name only starts like the sandbox root's is another directory: it is accepted and the mini runs.</summary>
    [Fact]
    public async Task AReadWriteGrantBesideTheSandboxRootIsAccepted()
    {
        string beside = this.root + "-beside";
        Directory.CreateDirectory(beside);
        try
        {
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SandboxRoot = this.root, Sandbox = new MiniSandboxOptions { ReadWritePaths = [beside] } });
            this.Host.SignIn("u-beside");
            MiniAppInfo mini = await this.OpenAsync("wx-beside");
            Assert.True(mini.ProcessId > 0, $"the mini program did not start: {mini}");
        }
        finally
        {
            Directory.Delete(beside, recursive: true);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        if (Directory.Exists(this.root))
        {
            Directory.Delete(this.root, recursive: true);
        }
    }

    private static void AssertScratchDirectory(string path)
    {
        Assert.Equal(Path.GetTempPath(), Path.GetDirectoryName(path) + "/");
        Assert.Matches($"^ipcbm-{Environment.ProcessId}-[0-9a-f]{{16}}$", Path.GetFileName(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
    }

    private async Task<Dictionary<string, string>> ReadEnvironmentAsync(int pid) =>
        (await File.ReadAllTextAsync($"/proc/{pid}/environ", this.TimeoutToken))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2))
            .ToDictionary(e => e[0], e => e.Length > 1 ? e[1] : string.Empty, StringComparer.Ordinal);

    private const int KcmpFile = 0;

    private static bool KcmpWorks() => Kcmp(Environment.ProcessId, Environment.ProcessId, KcmpFile, 0, 0) == 0;

    private static int Kcmp(int pid1, int pid2, int type, ulong fd1, ulong fd2) => (int)Syscall(SysKcmp, pid1, pid2, type, fd1, fd2);

    private static long SysKcmp => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 272 : 312;

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, int pid1, int pid2, int type, ulong fd1, ulong fd2);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
