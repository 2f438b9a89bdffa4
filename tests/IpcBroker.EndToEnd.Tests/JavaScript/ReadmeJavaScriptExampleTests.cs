using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>
/// The README's "Mini programs in JavaScript" example, run: the README quotes, word for word, the package
/// (<c>mini-programs/readme-hello/</c>), the mini executable's JS plugin (TestMiniApp's <c>GreetingPlugin.cs</c>) and
/// the host code (the marked part of <see cref="TheReadmesMiniProgramRunsInARealMiniProcess"/>); the first test checks the
/// quotes, the second runs those files.
/// </summary>
public sealed class ReadmeJavaScriptExampleTests(ITestOutputHelper output) : JsTestBase(output)
{
    private static readonly string RepositoryRoot = Path.GetFullPath(typeof(ReadmeJavaScriptExampleTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    [Fact]
    public void TheReadmeQuotesTheExampleWordForWord()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot, "README.md")).ReplaceLineEndings("\n");
        string package = Path.Combine(RepositoryRoot, "tests/IpcBroker.EndToEnd.Tests/JavaScript/mini-programs/readme-hello");
        string[] quoted =
        [
            File.ReadAllText(Path.Combine(package, "app.json")),
            File.ReadAllText(Path.Combine(package, "app.js")),
            File.ReadAllText(Path.Combine(package, "lib/greeting.js")),
            Marked(Path.Combine(RepositoryRoot, "tests/IpcBroker.TestMiniApp/GreetingPlugin.cs")),
            Marked(Path.Combine(RepositoryRoot, "tests/IpcBroker.EndToEnd.Tests/JavaScript/ReadmeJavaScriptExampleTests.cs")),
        ];

        Assert.All(quoted, text => Assert.Contains(text.ReplaceLineEndings("\n").TrimEnd('\n') + "\n```", readme, StringComparison.Ordinal));
        Assert.Equal(2, Directory.GetFiles(package).Length); // app.json and app.js, beside lib/: nothing unquoted
    }

    [Fact]
    public async Task TheReadmesMiniProgramRunsInARealMiniProcess()
    {
        string miniExecutable = TestMiniAppPath;
        string packageDirectory = Package("readme-hello");
        ILoggerFactory loggerFactory = this.LoggerFactory;
        var account = new SampleMiniAppProxy(() => "u-1", new Dictionary<string, UserProfile> { ["u-1"] = new("Ada") });
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();

        // <readme>
        var openApi = new OpenApiService(store, account, new OpenApiOptions());   // wx.login, wx.checkSession: see Open APIs
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.Register(new OpenDataPlugin(openApi));
        registry.AddHandler("greeting.hello", req =>                           // the main plugin GreetingPlugin calls
            Task.FromResult(new Bundle().PutString("text", $"Hello, {req.Data.GetString("name")}!")));

        var options = new MiniAppHostOptions { MiniExecutablePath = miniExecutable };
        options.MiniPrograms["wx-hello"] = packageDirectory;                     // appId → package, read at each launch
        await using MiniAppHost host = MiniAppHost.Start(registry, options, loggerFactory); // console → IpcBroker.MiniProgram
        host.OnLogout(() => openApi.RevokeAllAsync());
        host.SignIn("u-1");
        MiniAppInfo app = await host.StartMiniAppAsync("wx-hello");            // app.js: onLaunch, then onShow
        // </readme>
        this.TrackPid(app.ProcessId);

        await this.WaitForConsoleAsync("wx-hello", "^hello: HELLO, ADA!$");
        await this.WithTimeoutAsync(host.StopMiniAppAsync("wx-hello", cancellationToken: this.TimeoutToken));
        await this.WaitForConsoleAsync("wx-hello", "^hello: hidden$");

        Assert.Equal(
            ["hello: launched", "hello: shown", "hello: logged in, code of 32 characters", "hello: session ok", "hello: 3...", "hello: 2...", "hello: 1...", "hello: HELLO, ADA!", "hello: hidden"],
            this.ConsoleLines("wx-hello"));
    }

    /// <summary>The lines between <c>// &lt;readme&gt;</c> and <c>// &lt;/readme&gt;</c>, without their common indentation.</summary>
    private static string Marked(string path)
    {
        string[] lines = File.ReadAllLines(path);
        int start = Array.FindIndex(lines, l => l.Trim() == "// <readme>") + 1;
        int end = Array.FindIndex(lines, l => l.Trim() == "// </readme>");
        Assert.True(start > 0 && end > start, $"{path} has no // <readme> part");
        string[] part = lines[start..end];
        int indent = part.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", part.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())) + "\n";
    }
}
