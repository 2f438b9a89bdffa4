using System.Diagnostics;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary><c>serve --package</c>, the config file's <c>packages</c> and <c>open --package</c>, each verb a process of its own.</summary>
public sealed class CommandLinePackageTests : HostTestBase
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-clipkg-" + Guid.NewGuid().ToString("N")[..8]);

    public CommandLinePackageTests(ITestOutputHelper output)
        : base(output)
    {
        Directory.CreateDirectory(this.root);
    }

    private string ConnectionFile => Path.Combine(this.root, "serve.json");

    [Fact]
    public async Task ServeMapsItsPackagesFromTheOptionsAndTheConfigFile()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        string fromOption = this.WritePackage("opt", "wx-cli-opt");
        string config = Path.Combine(this.root, "config", "serve.json");
        this.WritePackage(Path.Combine("config", "pkgs", "cfg"), "wx-cli-cfg");
        await File.WriteAllTextAsync(config, """{ "packages": ["pkgs/cfg"] }""", this.TimeoutToken);

        (Process serve, List<string> banner) = await this.StartServeAsync("--config", config, "--package", fromOption);
        using (serve)
        {
            await this.StopServeAsync(serve);
        }

        Assert.Contains($"mini program wx-cli-opt: JavaScript package {fromOption}", banner);
        Assert.Contains($"mini program wx-cli-cfg: JavaScript package {Path.Combine(this.root, "config", "pkgs", "cfg")}", banner);
    }

    [Fact]
    public async Task ServeRefusesABrokenPackageInOneLineNamingTheRule()
    {
        string package = this.WritePackage("broken", "wx-cli-broken");
        File.Delete(Path.Combine(package, "app.json"));

        (int code, string stdout, string stderr) = await this.RunAsync("serve", "--data", Path.Combine(this.root, "data"), "--package", package);

        Assert.Equal(2, code);
        Assert.DoesNotContain("ready", stdout);
        Assert.Equal($"error: Mini program package '{package}': 'app.json' is missing: a package has an app.json at its top.", stderr.Trim());
    }

    [Fact]
    public async Task ABadPackagesSettingIsOneLine()
    {
        string config = Path.Combine(this.root, "bad.json");
        await File.WriteAllTextAsync(config, """{ "packages": "one" }""", this.TimeoutToken);

        (int code, _, string stderr) = await this.RunAsync("serve", "--config", config);

        Assert.Equal((2, $"error: the config file '{config}': 'packages' must be an array of package directories (non-empty strings)"), (code, stderr.Trim()));
    }

    [Fact]
    public async Task OpenPackageRefusesAnAppIdThatIsNotThePackagesAndABrokenPackageAndSendsLaunchOtherwise()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        string package = this.WritePackage("js", "wx-cli-js");
        File.WriteAllText(Path.Combine(package, "app.js"), "this is not JavaScript (");
        string broken = this.WritePackage("bad", "wx-cli-bad");
        File.WriteAllBytes(Path.Combine(broken, "app.js"), [0xC3, 0x28]);
        (Process serve, _) = await this.StartServeAsync("--mini", TestMiniAppPath);
        using (serve)
        {
            try
            {
                (int code, _, string stderr) = await this.RunAsync("open", "wx-other", "--package", package);
                Assert.Equal((2, $"error: the package '{package}' is the mini program 'wx-cli-js' (its app.json), not 'wx-other'"), (code, stderr.Trim()));

                (code, _, stderr) = await this.RunAsync("open", "--package", broken);
                Assert.Equal((2, $"error: Mini program package '{broken}': 'app.js' is not valid UTF-8 text."), (code, stderr.Trim()));

                // The package is mapped and its Launch sent: the mini program cannot launch (a syntax error, or, in a mini
                // executable without JavaScript, no such event), so the open fails with the mini program's reason.
                (code, _, stderr) = await this.RunAsync("open", "wx-cli-js", "--package", package);
                Assert.Equal(2, code);
                Assert.Contains("wx-cli-js (Release) did not start: its mini program did not launch (", stderr);

                (code, _, stderr) = await this.RunAsync("open");
                Assert.Equal((2, "error: open needs an APPID, or --package DIR"), (code, stderr.Trim()));
            }
            finally
            {
                await this.StopServeAsync(serve);
            }
        }
    }

    public override void Dispose()
    {
        Directory.Delete(this.root, recursive: true);
        base.Dispose();
    }

    private string WritePackage(string relative, string appId)
    {
        string directory = Path.Combine(this.root, relative);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "app.json"), $$"""{ "appId": "{{appId}}" }""");
        File.WriteAllText(Path.Combine(directory, "app.js"), "App({ onLaunch() { console.log('hi'); } });");
        return directory;
    }

    private async Task StopServeAsync(Process serve)
    {
        ProcessProbe.Signal(serve.Id, 15);
        await this.WithTimeoutAsync(serve.WaitForExitAsync(this.TimeoutToken));
        Assert.Equal(0, serve.ExitCode);
    }

    private async Task<(Process Serve, List<string> Banner)> StartServeAsync(params string[] extra)
    {
        Process serve = this.Start(["serve", "--data", Path.Combine(this.root, "data"), "--user", "u-7", .. extra]);
        var banner = new List<string>();
        while (await this.WithTimeoutAsync(serve.StandardOutput.ReadLineAsync()) is { } line && !line.StartsWith("ready", StringComparison.Ordinal))
        {
            this.Output.WriteLine("serve: " + line);
            banner.Add(line);
        }

        return (serve, banner);
    }

    private Process Start(params string[] args)
    {
        var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        startInfo.ArgumentList.Add(CommandLineTests.HostExecutable);
        foreach (string arg in args.Append("--connection").Append(this.ConnectionFile))
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
}
