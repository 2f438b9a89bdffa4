using IpcBroker.MainProcess.Hosting;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The mini side on the Generic Host (MiniProcessApplication): its content root is the executable's directory, so settings
/// beside the executable apply and settings planted in the mini program's writable sandbox (its working directory) or
/// named by a content-root variable do not.
/// </summary>
public class MiniProcessHostingTests(ITestOutputHelper output) : HostTestBase(output)
{
    /// <summary>Settings that would be seen: a marker, and a log level that turns the runtime's Information lines off.</summary>
    private const string Settings = """{ "TestMini": { "Marker": "MARKER" }, "Logging": { "LogLevel": { "Default": "Warning" } } }""";

    private readonly string scratch = Directory.CreateTempSubdirectory("ipcbroker-minihosting-").FullName;

    [Fact]
    public async Task SettingsPlantedInTheSandboxOrNamedByAContentRootVariableChangeNothing()
    {
        // A directory the mini process may read, holding settings, named by the variables that move a Generic Host's
        // content root and environment; and a sandbox that persists from one start of the mini program to the next.
        string planted = Directory.CreateDirectory(Path.Combine(this.scratch, "planted")).FullName;
        await File.WriteAllTextAsync(Path.Combine(planted, "appsettings.json"), Settings.Replace("MARKER", "from-variable"), this.TimeoutToken);
        await File.WriteAllTextAsync(Path.Combine(planted, "appsettings.Production.json"), Settings.Replace("MARKER", "from-variable"), this.TimeoutToken);
        MiniAppHost host = this.StartHost(this.HostOptions with
        {
            SandboxRoot = Path.Combine(this.scratch, "sandboxes"),
            Sandbox = this.HostOptions.Sandbox with
            {
                ReadOnlyPaths = [planted],
                Environment = new Dictionary<string, string>
                {
                    ["DOTNET_CONTENTROOT"] = planted,
                    ["ASPNETCORE_CONTENTROOT"] = planted,
                    ["DOTNET_HOSTBUILDER__RELOADCONFIGONCHANGE"] = "true",
                },
            },
        });
        await this.OpenAsync("wx-planted");

        // The mini program writes settings into its sandbox, which is its working directory, and is started again.
        IpcResult written = await this.WithTimeoutAsync(host.CallMiniProcessPluginAsync("wx-planted", TestEvents.WriteSandbox, new Bundle().PutString("name", "appsettings.json").PutString("content", Settings.Replace("MARKER", "from-sandbox"))));
        Assert.True(written.IsSuccess, written.ErrorMessage);
        await this.WithTimeoutAsync(host.CallMiniProcessPluginAsync("wx-planted", TestEvents.WriteSandbox, new Bundle().PutString("name", "appsettings.Production.json").PutString("content", Settings.Replace("MARKER", "from-sandbox"))));
        Assert.True(await this.WithTimeoutAsync(host.StopMiniAppAsync("wx-planted")));
        await this.OpenAsync("wx-planted");

        Bundle seen = await this.DescribeHostingAsync(host, "wx-planted");
        string sandbox = Path.GetDirectoryName(written.Data.GetString("path"))!;
        Assert.Equal(sandbox, seen.GetString("currentDirectory"));
        Assert.True(File.Exists(Path.Combine(sandbox, "appsettings.json")), "the planted file is in the working directory");
        Assert.Equal(Path.GetDirectoryName(TestMiniAppPath), Path.TrimEndingDirectorySeparator(seen.GetString("contentRoot")!));
        Assert.Null(seen.GetString("marker"));
        Assert.True(seen.GetBoolean("informationLogged"), "the planted log level did not apply");
    }

    [Fact]
    public async Task SettingsBesideTheExecutableApply()
    {
        // A copy of the test mini app with settings of its own beside it.
        string copy = Directory.CreateDirectory(Path.Combine(this.scratch, "app")).FullName;
        foreach (string file in Directory.EnumerateFiles(Path.GetDirectoryName(TestMiniAppPath)!, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(Path.GetDirectoryName(TestMiniAppPath)!, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        await File.WriteAllTextAsync(Path.Combine(copy, "appsettings.json"), Settings.Replace("MARKER", "beside-the-executable"), this.TimeoutToken);
        MiniAppHost host = this.StartHost(this.HostOptions with { MiniExecutablePath = Path.Combine(copy, Path.GetFileName(TestMiniAppPath)) });
        await this.OpenAsync("wx-beside");

        Bundle seen = await this.DescribeHostingAsync(host, "wx-beside");
        Assert.Equal(copy, Path.TrimEndingDirectorySeparator(seen.GetString("contentRoot")!));
        Assert.Equal("beside-the-executable", seen.GetString("marker"));
        Assert.Equal("Production", seen.GetString("environment"));
        Assert.False(seen.GetBoolean("informationLogged"), "the executable's own log level applies");
    }

    [Fact]
    public async Task TheRunAsyncOfBeforeStillAnswersABadLaunchLineWithItsExitCode()
    {
        int exitCode = await this.WithTimeoutAsync(IpcBroker.MiniProcess.MiniProcessRuntime.RunAsync(_ => { }, input: new StringReader("not a launch line\n")));
        Assert.Equal(IpcBroker.MiniProcess.MiniProcessRuntime.ExitBadLaunchInfo, exitCode);
    }

    public override void Dispose()
    {
        try
        {
            Directory.Delete(this.scratch, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A sandbox directory still held; the temp directory is swept anyway.
        }

        base.Dispose();
    }

    private async Task<Bundle> DescribeHostingAsync(MiniAppHost host, string appId)
    {
        IpcResult result = await this.WithTimeoutAsync(host.CallMiniProcessPluginAsync(appId, TestEvents.Hosting, null));
        Assert.True(result.IsSuccess, result.ErrorMessage);
        this.Output.WriteLine($"mini's hosting: marker={result.Data.GetString("marker")} contentRoot={result.Data.GetString("contentRoot")} cwd={result.Data.GetString("currentDirectory")} information={result.Data.GetBoolean("informationLogged")}");
        return result.Data;
    }
}
