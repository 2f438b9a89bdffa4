using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

public class JsLifecycleTests(ITestOutputHelper output) : TestBase(output)
{
    private const string LifecycleApp = """
        console.log('entry');
        App({
          onLaunch(o) { console.log('onLaunch', o.path, o.scene, JSON.stringify(o.query)); },
          onShow(o) { console.log('onShow', o.scene); },
          onHide() { console.log('onHide'); },
        });
        """;

    [Fact]
    public async Task LaunchRunsTheEntryThenOnLaunchThenOnShowBeforeItAnswers()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(LifecycleApp)));
        Assert.Equal(["entry", "onLaunch app.js 1001 {}", "onShow 1001"], runtime.Console.Texts);
    }

    [Fact]
    public async Task ShowRunsOnShowAgainAndHideRunsOnHideThenTheLoopTakesNoMoreWork()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(LifecycleApp)));
        Assert.Null(await this.WithTimeoutAsync(runtime.Program.ShowAsync()));
        await this.WithTimeoutAsync(runtime.Program.HideAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(["entry", "onLaunch app.js 1001 {}", "onShow 1001", "onShow 1001", "onHide"], runtime.Console.Texts);
        Assert.False(runtime.Program.Thread!.Post(() => { }));
        Assert.True(runtime.Program.Stopping.IsCancellationRequested);
        Assert.NotNull(await this.WithTimeoutAsync(runtime.Program.ShowAsync()));
    }

    [Fact]
    public async Task ShowBeforeALaunchFails()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Contains("no JavaScript mini program", await this.WithTimeoutAsync(runtime.Program.ShowAsync()));
    }

    [Fact]
    public async Task ASecondLaunchIsRefused()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(LifecycleApp)));
        Assert.Contains("launched already", await this.WithTimeoutAsync(runtime.LaunchAsync(LifecycleApp)));
        Assert.Single(runtime.Console.Texts, "entry");
    }

    [Theory]
    [InlineData("missing-manifest", "no app.json")]
    [InlineData("other-app", "is not this process's appId")]
    [InlineData("syntax", "SyntaxError")]
    [InlineData("throws", "Error: top-level")]
    [InlineData("no-app", "did not call App()")]
    [InlineData("no-entry", "no entry script")]
    public async Task APackageThatCannotRunFailsTheLaunchWithItsReason(string kind, string expected)
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Dictionary<string, string> files = JsTestRuntime.Package(kind switch
        {
            "syntax" => "App({ onLaunch() { ",
            "throws" => "throw new Error('top-level');",
            "no-app" => "console.log('no App here');",
            _ => "App({});",
        });
        string entry = "app.js";
        switch (kind)
        {
            case "missing-manifest":
                files.Remove("app.json");
                break;
            case "other-app":
                files["app.json"] = """{ "appId": "wx-someone-else" }""";
                break;
            case "no-entry":
                entry = "main.js";
                break;
        }

        string? reason = await this.WithTimeoutAsync(runtime.Program.LaunchAsync(files, entry, JsTestRuntime.Context()));
        Assert.NotNull(reason);
        Assert.Contains(expected, reason, StringComparison.Ordinal);
        Assert.Equal(0, runtime.Failure.Count);
    }

    [Fact]
    public async Task AFailedLaunchEndsTheMiniProgramItsTimersToo()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.NotNull(await this.WithTimeoutAsync(runtime.LaunchAsync("setInterval(() => console.log('tick'), 1); throw new Error('no');")));
        Assert.False(runtime.Program.Thread!.Post(() => { }));
        Assert.True(runtime.Program.Stopping.IsCancellationRequested);
    }

    [Fact]
    public async Task ASecondAppCallIsRefusedAndAppOutsideTheEntryScriptToo()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            App({ onLaunch() { setTimeout(() => { try { App({}); } catch (e) { console.log('later: ' + e.message); } }, 0); } });
            try { App({}); } catch (e) { console.log('second: ' + e.message); }
            """)));
        Assert.Contains("already", (await this.WithTimeoutAsync(runtime.Console.WaitForAsync(l => l.Text.StartsWith("second: ", StringComparison.Ordinal)))).Text);
        Assert.Contains("only by the entry script", (await this.WithTimeoutAsync(runtime.Console.WaitForAsync(l => l.Text.StartsWith("later: ", StringComparison.Ordinal)))).Text);
    }

    [Fact]
    public async Task AnErrorInOnLaunchIsReportedAndDoesNotFailTheLaunch()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            App({
              onLaunch() { throw new TypeError('bad launch'); },
              onShow() { console.log('shown'); },
              onError(message) { console.log('onError: ' + message.split('\n')[0]); },
            });
            """)));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("onError: TypeError: bad launch"));
        Assert.Contains(runtime.Console.Lines, l => l.Level == "error" && l.Text.StartsWith("TypeError: bad launch", StringComparison.Ordinal));
        Assert.Contains("shown", runtime.Console.Texts);
        Assert.Equal(0, runtime.Failure.Count);
    }

    [Fact]
    public async Task GetAppReturnsTheAppObject()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            App({ globalData: { user: 'ann' }, onLaunch() { console.log('user ' + getApp().globalData.user); } });
            """)));
        Assert.Contains("user ann", runtime.Console.Texts);
    }

    [Fact]
    public async Task OnHideThatDoesNotEndIsCutAtTheHideTimeout()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.TaskTimeout = TimeSpan.FromSeconds(30));
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("App({ onHide() { console.log('hiding'); for (;;) {} } });")));
        await this.WithTimeoutAsync(runtime.Program.HideAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Contains("hiding", runtime.Console.Texts);
        Assert.False(runtime.Program.Thread!.Post(() => { }));
    }
}
