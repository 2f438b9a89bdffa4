using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The host executable's verbs against a live <c>serve</c> host, each verb a process of its own, as from a second terminal.</summary>
public sealed class CommandLineTests : HostTestBase
{
    /// <summary>The host executable (a dll run by the dotnet host).</summary>
    internal static readonly string HostExecutable = Path.GetFullPath(typeof(CommandLineTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HostExecutablePath").Value!);

    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-cli-" + Guid.NewGuid().ToString("N")[..8]);
    private string? pipeDirectory;
    private string? sandboxLine;

    public CommandLineTests(ITestOutputHelper output)
        : base(output)
    {
        Directory.CreateDirectory(this.root);
    }

    private string ConnectionFile => Path.Combine(this.root, "serve.json");

    [Fact]
    public async Task EveryVerbWorksAgainstALiveHost()
    {
        // A dozen .NET processes (serve, a mini, monitor, each verb): minutes' worth on a loaded 2-core machine, not 20 s.
        this.ExtendTimeout(ManyProcessesTimeout);
        using Process serve = await this.StartServeAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(this.ConnectionFile));
        using Process monitor = this.Start("monitor", "--json");

        (int code, string stdout, _) = await this.RunAsync("open", "wx-cli", "--ver", "develop", "--json");
        Assert.Equal(0, code);
        int pid = JsonNode.Parse(stdout)!["pid"]!.GetValue<int>();
        this.TrackPid(pid);

        // The running mini programs, and the spare processes apart: the process the open bound is no longer a spare.
        JsonNode listed = JsonNode.Parse((await this.RunAsync("list", "--json")).Stdout)!;
        JsonArray list = listed["miniApps"]!.AsArray();
        Assert.DoesNotContain(listed["spares"]!.AsArray(), s => s!["pid"]!.GetValue<int>() == pid);
        Assert.Equal(("wx-cli", "develop", pid), (list[0]!["appId"]!.GetValue<string>(), list[0]!["build"]!.GetValue<string>(), list[0]!["pid"]!.GetValue<int>()));

        // serve said which protections apply, and list shows the mini program's: applied, network, limits and their enforcers.
        Assert.NotNull(this.sandboxLine);
        Assert.Contains("clean environment", this.sandboxLine);
        JsonNode sandbox = list[0]!["sandbox"]!;
        string[] protections = [.. sandbox["protections"]!.AsArray().Select(p => p!.GetValue<string>())];
        Assert.Contains("clean environment", protections);
        Assert.False(sandbox["network"]!.GetValue<bool>() && protections.Contains("seccomp"), "network without a grant");
        JsonNode memory = sandbox["limits"]!.AsArray().Single(l => l!["name"]!.GetValue<string>() == "memoryBytes")!;
        Assert.Equal(512.0 * 1024 * 1024, memory["value"]!.GetValue<double>());
        Assert.False(string.IsNullOrEmpty(memory["enforcedBy"]!.GetValue<string>()));
        foreach (string applied in protections.Where(p => p.StartsWith("landlock", StringComparison.Ordinal) || p == "seccomp"))
        {
            Assert.Contains(applied, this.sandboxLine);
        }

        JsonNode asMini = JsonNode.Parse((await this.RunAsync("call", "OPEN_DATA_IPC_EVENT_GET_USER_ID", "n=5", "--json")).Stdout)!;
        Assert.Equal("u-7", asMini["data"]!["userId"]!.GetValue<string>());

        JsonNode toMini = JsonNode.Parse((await this.RunAsync("call", "MINI_EVENT_GET_APP_INFO", "--app", "wx-cli", "--json")).Stdout)!;
        Assert.Equal(pid, toMini["data"]!["pid"]!.GetValue<int>());

        JsonNode wx = JsonNode.Parse((await this.RunAsync("wx", "wx-cli", "wx.getNickName", "{}", "--json")).Stdout)!;
        Assert.Equal("Ada", wx["data"]!["nickName"]!.GetValue<string>());

        JsonArray events = JsonNode.Parse((await this.RunAsync("events", "--json")).Stdout)!.AsArray();
        Assert.Contains(events, e => e!["event"]!.GetValue<string>() == "OPEN_API_PAY" && e["description"] is not null);
        Assert.All(events, e => Assert.Equal((null, 0), (e!["allowedAppIds"], e["deniedAppIds"]!.AsArray().Count))); // no policy: any appId

        (int missingCode, _, string missingError) = await this.RunAsync("call", "NO_SUCH_EVENT");
        Assert.NotEqual(0, missingCode);
        Assert.Equal("error: NoHandler: No handler is registered for 'NO_SUCH_EVENT' in the main process.", missingError.Trim());

        (int badAppCode, _, string badAppError) = await this.RunAsync("open", "bad app");
        Assert.Equal((2, "error: 'bad app' is not a valid appId: use 1 to 128 ASCII letters, digits, '-', '_' or '.'."), (badAppCode, badAppError.Trim()));

        Assert.Equal(0, (await this.RunAsync("stop", "wx-cli")).Code);
        (int stopAgain, _, string stopError) = await this.RunAsync("stop", "wx-cli");
        Assert.Equal((2, "error: 'wx-cli' is not running"), (stopAgain, stopError.Trim()));
        Assert.Equal(0, (await this.RunAsync("logout")).Code);

        (int verbCode, _, string verbError) = await this.RunAsync("frobnicate");
        Assert.Equal(2, verbCode);
        Assert.DoesNotContain(" at ", verbError);
        Assert.Single(verbError.Trim().Split('\n'));

        // monitor printed a JSON line per call, the failed one with its outcome.
        ProcessProbe.Signal(serve.Id, 15);
        await this.WithTimeoutAsync(serve.WaitForExitAsync(this.TimeoutToken));
        Assert.Equal(0, serve.ExitCode);
        Assert.False(File.Exists(this.ConnectionFile), "serve removes its connection file");
        await this.WithTimeoutAsync(monitor.WaitForExitAsync(this.TimeoutToken));
        string[] monitored = (await monitor.StandardOutput.ReadToEndAsync(this.TimeoutToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        this.Output.WriteLine("monitor:\n" + string.Join("\n", monitored) + "\nmonitor stderr: " + await monitor.StandardError.ReadToEndAsync(this.TimeoutToken));
        Assert.Contains(monitored, l => l.Contains("\"event\":\"NO_SUCH_EVENT\"") && l.Contains("\"outcome\":\"NoHandler\""));
        Assert.Contains(monitored, l => l.Contains("\"event\":\"MINI_EVENT_GET_APP_INFO\"") && l.Contains("\"direction\":\"main->mini\""));
    }

    [Fact]
    public async Task UnderAPolicyEventsShowWhoMayCallAndAnUnlistedAppDoesNotStart()
    {
        string policy = Path.Combine(this.root, "policy.json");
        await File.WriteAllTextAsync(policy, """
            {
              "startableAppIds": ["wx-shop", "wx-news", "wx-weather"],
              "eventCallers": { "OPEN_API_PAY*": ["wx-shop"] },
              "appEvents": { "wx-weather": ["OPEN_API_*"] }
            }
            """, this.TimeoutToken);
        using Process serve = await this.StartServeAsync("--policy", policy);
        try
        {
            JsonArray events = JsonNode.Parse((await this.RunAsync("events", "--json")).Stdout)!.AsArray();
            (string[]? Allowed, string[] Denied) Callers(string eventId)
            {
                JsonNode e = events.Single(e => e!["event"]!.GetValue<string>() == eventId)!;
                return (e["allowedAppIds"]?.AsArray().Select(a => a!.GetValue<string>()).ToArray(), e["deniedAppIds"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray());
            }

            Assert.Equal(("wx-shop", "wx-news,wx-weather"), Flatten(Callers("OPEN_API_PAY")));
            Assert.Equal(("wx-shop", "wx-news,wx-weather"), Flatten(Callers("OPEN_API_PAY_QUERY")));
            Assert.Equal(("wx-news,wx-shop,wx-weather", string.Empty), Flatten(Callers("OPEN_API_LOGIN")));
            Assert.Equal(("wx-news,wx-shop", "wx-weather"), Flatten(Callers("OPEN_DATA_IPC_EVENT_GET_USER_ID")));

            string table = (await this.RunAsync("events")).Stdout;
            Assert.Matches(@"(?m)^OPEN_API_PAY\s+main\s+wx-shop\s", table);

            (int code, string stdout, string stderr) = await this.RunAsync("open", "wx-evil");
            Assert.Equal((2, string.Empty), (code, stdout));
            Assert.Equal("error: wx-evil (Release) may not be started: the host's policy does not list 'wx-evil' among the mini programs it starts.", stderr.Trim());
        }
        finally
        {
            ProcessProbe.Signal(serve.Id, 15);
            await this.WithTimeoutAsync(serve.WaitForExitAsync(this.TimeoutToken));
        }

        // Arrays compare by reference inside a tuple: compare their contents as strings.
        static (string? Allowed, string Denied) Flatten((string[]? Allowed, string[] Denied) callers) =>
            (callers.Allowed is null ? null : string.Join(",", callers.Allowed), string.Join(",", callers.Denied));
    }

    [Fact]
    public async Task AStoppedHostIsAnErrorAtTheDeadlineNotAHang()
    {
        using Process serve = await this.StartServeAsync();
        ProcessProbe.Signal(serve.Id, 19); // SIGSTOP: the kernel still accepts connections, nobody answers
        try
        {
            (int code, string stdout, string stderr) = await this.RunAsync("list");

            Assert.Equal(2, code);
            Assert.Empty(stdout);
            Assert.Matches(@"^error: the host in .+ \(pid \d+\) accepted the connection but did not answer within 5 s$", stderr.Trim());
        }
        finally
        {
            ProcessProbe.Signal(serve.Id, 18); // SIGCONT, then SIGTERM: serve stops cleanly
            ProcessProbe.Signal(serve.Id, 15);
            await this.WithTimeoutAsync(serve.WaitForExitAsync(this.TimeoutToken));
        }
    }

    [Fact]
    public async Task ServeMiniRunsTheGivenExecutableAsEveryMiniProgram()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        using Process serve = await this.StartServeAsync("--mini", TestMiniAppPath);
        try
        {
            await this.OpenAndCallTheTestMiniAsync();
        }
        finally
        {
            await this.StopServeAsync(serve);
        }
    }

    [Fact]
    public async Task ServeConfigGivesTheSameSettingsAndAnOptionOverridesIt()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        string config = Path.Combine(this.root, "config", "serve.json");
        Directory.CreateDirectory(Path.GetDirectoryName(config)!);

        // Relative paths are from the config file's directory.
        await File.WriteAllTextAsync(config, $$"""
            {
              "mini": "{{Path.GetRelativePath(Path.GetDirectoryName(config)!, TestMiniAppPath)}}",
              "data": "data",
              "user": "u-9",
              "max": 2
            }
            """, this.TimeoutToken);
        using Process serve = await this.StartServeWithAsync("serve", "--config", config, "--user", "u-8");
        try
        {
            await this.OpenAndCallTheTestMiniAsync();
            Assert.True(File.Exists(Path.Combine(this.root, "config", "data", "openapi.db")), "the data directory is the config file's, relative to it");
            JsonNode asMini = JsonNode.Parse((await this.RunAsync("call", "OPEN_DATA_IPC_EVENT_GET_USER_ID", "--json")).Stdout)!;
            Assert.Equal("u-8", asMini["data"]!["userId"]!.GetValue<string>());
        }
        finally
        {
            await this.StopServeAsync(serve);
        }
    }

    [Theory]
    [InlineData("{\"mini\": \"x.dll\", \"minni\": \"y\", \"port\": 1}", "has unknown settings 'minni', 'port'; it takes mini, data, user, max, policy, packages")]
    [InlineData("{\"max\": 0}", "'max' must be a whole number of at least 1, not 0")]
    [InlineData("{\"user\": 7}", "'user' must be a non-empty string")]
    [InlineData("[]", "is not a JSON object")]
    [InlineData("{\"mini\": \"a\\u0000b\"}", "'mini' is not a valid path: it holds a NUL character")]
    [InlineData("{\"mini\": \"x\", \"user\": \"u\", \"mini\": \"y\"}", "has 'mini' more than once")]
    public async Task ABadConfigFileIsOneLineNamingWhatIsWrong(string json, string expected)
    {
        string config = Path.Combine(this.root, "bad.json");
        await File.WriteAllTextAsync(config, json, this.TimeoutToken);

        (int code, string stdout, string stderr) = await this.RunAsync("serve", "--config", config);

        Assert.Equal((2, string.Empty), (code, stdout));
        Assert.Equal($"error: the config file '{config}'{(expected.StartsWith('\'') ? ": " : " ")}{expected}", stderr.Trim());
    }

    [Theory]
    [InlineData("directory", "is a directory")]
    [InlineData("fifo", "is not a regular file but a FIFO")]
    [InlineData("/dev/zero", "is not a regular file but a character device")]
    [InlineData("large", "is larger than 64 KiB")]
    public async Task AConfigFileThatIsNotASmallRegularFileIsRefusedInOneLine(string kind, string expected)
    {
        // A FIFO nobody writes to would block a plain read for ever, and /dev/zero would be read until out of memory.
        string config = kind switch
        {
            "directory" => this.root,
            "fifo" => Path.Combine(this.root, "config.fifo"),
            "large" => Path.Combine(this.root, "large.json"),
            _ => kind,
        };
        if (kind == "fifo")
        {
            Assert.Equal(0, MakeFifo(config, 0b110_000_000));
        }
        else if (kind == "large")
        {
            await File.WriteAllTextAsync(config, "{\"user\": \"u-1\"}" + new string(' ', 64 * 1024), this.TimeoutToken);
        }

        (int code, string stdout, string stderr) = await this.RunAsync("serve", "--config", config);

        Assert.Equal((2, string.Empty, $"error: the config file '{config}' {expected}"), (code, stdout, stderr.Trim()));
    }

    /// <summary>The policy file named by serve is read as carefully as the config file: a FIFO nobody writes to is refused, not waited on.</summary>
    [Fact]
    public async Task APolicyFileThatIsAFifoIsRefusedInOneLine()
    {
        string policy = Path.Combine(this.root, "policy.fifo");
        Assert.Equal(0, MakeFifo(policy, 0b110_000_000));

        (int code, string stdout, string stderr) = await this.RunAsync("serve", "--policy", policy);

        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("is not a regular file but a FIFO", stderr);
    }

    [Fact]
    public async Task VersionIsThePackageVersionAndEveryVerbHasItsHelp()
    {
        (int code, string stdout, string stderr) = await this.RunAsync("--version");
        string expected = typeof(IpcBroker.MainProcess.Cli.ClientOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal((0, expected, string.Empty), (code, stdout.Trim(), stderr));
        Assert.DoesNotContain("+", expected); // the package version, no commit

        (int serveCode, string serveHelp, _) = await this.RunAsync("serve", "--help");
        Assert.Equal(0, serveCode);
        Assert.Contains("ipcbroker serve [options]", serveHelp);
        Assert.All(new[] { "--mini <PATH>", "--config <FILE>", "--data <DIR>", "--user <ID>", "--max <N>", "--policy <FILE>" }, o => Assert.Contains(o, serveHelp));

        (int callCode, string callHelp, _) = await this.RunAsync("call", "--help");
        Assert.Equal(0, callCode);
        Assert.Contains("--app <APPID>", callHelp);
        Assert.Contains("--json", callHelp);

        // No verb: the list of verbs, and a failing exit code.
        (int noVerbCode, string verbs, _) = await this.RunAsync();
        Assert.Equal(1, noVerbCode);
        Assert.All(new[] { "demo", "serve", "open", "list", "call", "wx", "events", "monitor", "stop", "logout" }, v => Assert.Matches($@"(?m)^\s+{v}\b", verbs));
    }

    [Theory]
    [InlineData("error: --max must be a whole number of at least 1, not '0'", "serve", "--max", "0")]
    [InlineData("error: --max must be a whole number of at least 1, not 'many'", "serve", "--max", "many")]
    [InlineData("error: unknown option '--verr' (did you mean '--ver'?); run 'ipcbroker open --help' for the list", "open", "wx-a", "--verr", "develop")]
    [InlineData("error: unknown verb 'serv' (did you mean 'serve'?); run with --help for the list", "serv")]
    [InlineData("error: unknown verb 'sevre' (did you mean 'serve'?); run with --help for the list", "sevre")]
    [InlineData("error: unknown verb 'stpo' (did you mean 'stop'?); run with --help for the list", "stpo")]
    [InlineData("error: unknown verb 'lsit' (did you mean 'list'?); run with --help for the list", "lsit")]
    [InlineData("error: unexpected argument 'extra'; run 'ipcbroker list --help' for the list", "list", "extra")]
    [InlineData("error: the mini program '/proc/ipcb-none' does not exist: --mini takes a .dll or a native executable", "serve", "--mini", "/proc/ipcb-none")]
    [InlineData("error: the mini program '/proc' is a directory: --mini takes a .dll or a native executable", "serve", "--mini", "/proc")]
    [InlineData("error: the mini program '/etc/passwd' is not executable: --mini takes a .dll or a native executable", "serve", "--mini", "/etc/passwd")]
    [InlineData("error: --mini needs a value", "serve", "--mini", "--user", "u-1")]
    [InlineData("error: cannot read the config file '/proc/ipcb-none': Could not find file '/proc/ipcb-none'.", "serve", "--config", "/proc/ipcb-none")]
    [InlineData("error: --app needs a value", "call", "EVENT", "--app")]
    [InlineData("error: 'k' is not key=value", "call", "EVENT", "k")]
    [InlineData("error: missing APPID", "stop")]
    [InlineData("error: cannot use '/proc/ipcb-none' as the data directory: Could not find file '/proc/ipcb-none'.", "serve", "--data", "/proc/ipcb-none")]
    [InlineData("error: cannot read the policy file '/proc/ipcb-none': Could not find file '/proc/ipcb-none'.", "serve", "--policy", "/proc/ipcb-none")]
    public async Task BadArgumentsAreOneLineAndExitCode2(string expected, params string[] args)
    {
        (int code, string stdout, string stderr) = await this.RunAsync(args);

        Assert.Equal((2, string.Empty, expected), (code, stdout, stderr.Trim()));
    }

    [Fact]
    public async Task WithoutAHostAVerbSaysSoInOneLine()
    {
        (int code, string stdout, string stderr) = await this.RunAsync("list");

        Assert.Equal(2, code);
        Assert.Empty(stdout);
        Assert.StartsWith("error: no running host:", stderr.Trim());
        Assert.Single(stderr.Trim().Split('\n'));
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(this.root, recursive: true);

        // A serve host that had to be killed (the test failed first) cannot remove its pipe directory.
        if (this.pipeDirectory is not null && Directory.Exists(this.pipeDirectory))
        {
            Directory.Delete(this.pipeDirectory, recursive: true);
        }
    }

    /// <summary>Opens a mini program and calls an event only the test mini app has, through the command line.</summary>
    private async Task OpenAndCallTheTestMiniAsync()
    {
        (int code, string stdout, _) = await this.RunAsync("open", "wx-harness", "--json");
        Assert.Equal(0, code);
        int pid = JsonNode.Parse(stdout)!["pid"]!.GetValue<int>();
        this.TrackPid(pid);

        JsonNode whoAmI = JsonNode.Parse((await this.RunAsync("call", TestEvents.WhoAmI, "--app", "wx-harness", "--json")).Stdout)!;
        Assert.Equal((pid, "wx-harness", true), (whoAmI["data"]!["pid"]!.GetValue<int>(), whoAmI["data"]!["appId"]!.GetValue<string>(), whoAmI["data"]!["isMiniProcess"]!.GetValue<bool>()));
        JsonNode echo = JsonNode.Parse((await this.RunAsync("call", TestEvents.Echo, "word=hello", "n=5", "--app", "wx-harness", "--json")).Stdout)!;
        Assert.Equal(("hello", 5), (echo["data"]!["word"]!.GetValue<string>(), echo["data"]!["n"]!.GetValue<int>()));
    }

    private async Task StopServeAsync(Process serve)
    {
        ProcessProbe.Signal(serve.Id, 15);
        await this.WithTimeoutAsync(serve.WaitForExitAsync(this.TimeoutToken));
        Assert.Equal(0, serve.ExitCode);
    }

    /// <summary>Starts <c>serve</c> with the test's data directory and user, and waits for its "ready" line.</summary>
    private Task<Process> StartServeAsync(params string[] extra) =>
        this.StartServeWithAsync(["serve", "--data", Path.Combine(this.root, "data"), "--user", "u-7", .. extra]);

    /// <summary>Starts <c>serve</c> with exactly <paramref name="args"/> (and the test's connection file) and waits for its "ready" line.</summary>
    private async Task<Process> StartServeWithAsync(params string[] args)
    {
        Process serve = this.Start(args);
        while (await this.WithTimeoutAsync(serve.StandardOutput.ReadLineAsync()) is { } line && !line.StartsWith("ready", StringComparison.Ordinal))
        {
            this.Output.WriteLine("serve: " + line);
            if (line.StartsWith("sandbox: ", StringComparison.Ordinal))
            {
                this.sandboxLine = line;
            }
            if (line.Contains(": pipe ", StringComparison.Ordinal))
            {
                this.pipeDirectory = Path.GetDirectoryName(line.Split(' ')[line.Split(' ').ToList().IndexOf("pipe") + 1].TrimEnd(','));
            }
        }

        return serve;
    }

    private Process Start(params string[] args)
    {
        var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        startInfo.ArgumentList.Add(HostExecutable);

        // A verb talks to this test's host; no verb (the help, --version) takes no connection file.
        foreach (string arg in args.Length == 0 || args[0].StartsWith('-') ? args : args.Append("--connection").Append(this.ConnectionFile))
        {
            startInfo.ArgumentList.Add(arg);
        }

        Process process = Process.Start(startInfo)!;
        this.TrackPid(process.Id);
        return process;
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using Process process = this.Start(args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(this.TimeoutToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(this.TimeoutToken);
        await this.WithTimeoutAsync(process.WaitForExitAsync(this.TimeoutToken));
        this.Output.WriteLine($"$ {string.Join(' ', args)} -> {process.ExitCode}\n{await stdout}{await stderr}");
        return (process.ExitCode, await stdout, await stderr);
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
