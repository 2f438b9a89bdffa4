using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

public class JsEventLoopTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task TimersRunInDueOrderAClearedOneNeverAndAnIntervalUntilCleared()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            setTimeout(() => console.log('late'), 30);
            setTimeout((a, b) => console.log('early ' + a + b), 0, 'x', 'y');
            const cleared = setTimeout(() => console.log('cleared'), 5);
            clearTimeout(cleared);
            let n = 0;
            const tick = setInterval(() => {
              console.log('tick ' + (++n));
              if (n === 3) { clearInterval(tick); setTimeout(() => console.log('done'), 50); }
            }, 10);
            App({});
            """)));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("done"));
        IReadOnlyList<string> texts = runtime.Console.Texts;
        Assert.DoesNotContain("cleared", texts);
        Assert.Equal(["tick 1", "tick 2", "tick 3"], texts.Where(t => t.StartsWith("tick", StringComparison.Ordinal)));
        Assert.True(texts.ToList().IndexOf("early xy") < texts.ToList().IndexOf("late"));
        Assert.Equal("done", texts[^1]);
    }

    [Fact]
    public async Task PromiseJobsRunAfterEachTurnAndAsyncFunctionsResumeAcrossTimers()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            Promise.resolve().then(() => console.log('micro'));
            (async () => {
              await null;
              console.log('awaited');
              await new Promise(resolve => setTimeout(resolve, 5));
              console.log('after timer');
            })();
            console.log('sync');
            App({ onLaunch() { console.log('onLaunch'); } });
            """)));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("after timer"));
        Assert.Equal(["sync", "micro", "awaited", "onLaunch"], runtime.Console.Texts.Take(4));
    }

    [Fact]
    public async Task WorkPostedFromOtherThreadsRunsInOrderOnTheJavaScriptThread()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("App({});")));
        var ran = new List<int>();
        var onThread = new List<bool>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < 100; i++)
        {
            int n = i;
            Assert.True(runtime.Program.Thread!.Post(() =>
            {
                ran.Add(n);
                onThread.Add(runtime.Program.Thread.IsCurrent);
                if (n == 99)
                {
                    done.SetResult();
                }
            }));
        }

        await this.WithTimeoutAsync(done.Task);
        Assert.Equal(Enumerable.Range(0, 100), ran);
        Assert.All(onThread, Assert.True);
        Assert.False(runtime.Program.Thread!.IsCurrent);
    }

    [Fact]
    public async Task AnExceptionInAPostedItemIsReportedAndTheLoopGoesOn()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("App({ onError(m) { console.log('onError: ' + m); } });")));
        Assert.True(runtime.Program.Thread!.Post(() => throw new InvalidOperationException("a plugin bug")));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("onError: InvalidOperationException: a plugin bug"));
        var after = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(runtime.Program.Thread.Post(after.SetResult));
        await this.WithTimeoutAsync(after.Task);
    }

    [Fact]
    public async Task UncaughtErrorsInTimersAndRejectionsGoToConsoleErrorAndTheAppsHandlers()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            App({
              onLaunch() {
                setTimeout(() => { throw new Error('in a timer'); }, 0);
                setTimeout(() => { Promise.reject(new Error('rejected')); }, 10);
                setTimeout(() => { Promise.reject(new Error('handled later')).catch(() => console.log('caught')); }, 20);
                setTimeout(() => console.log('still running'), 30);
              },
              onError(message) { console.log('onError: ' + message.split('\n')[0]); },
              onUnhandledRejection(r) { console.log('onUnhandledRejection: ' + r.reason.message); },
            });
            """)));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("still running"));
        IReadOnlyList<string> texts = runtime.Console.Texts;
        Assert.Contains("onError: Error: in a timer", texts);
        Assert.Contains("onUnhandledRejection: rejected", texts);
        Assert.Contains("caught", texts);
        Assert.DoesNotContain("onUnhandledRejection: handled later", texts);
        Assert.Contains(runtime.Console.Lines, l => l.Level == "error" && l.Text.StartsWith("Error: in a timer", StringComparison.Ordinal));
        Assert.Contains(runtime.Console.Lines, l => l.Level == "error" && l.Text.StartsWith("Unhandled promise rejection: Error: rejected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnOnErrorThatThrowsIsWrittenNotReportedAgain()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            App({ onLaunch() { setTimeout(() => { throw new Error('first'); }, 0); setTimeout(() => console.log('next'), 10); },
                  onError() { throw new Error('from onError'); } });
            """)));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("next"));
        Assert.Single(runtime.Console.Texts, t => t.StartsWith("App.onError threw: Error: from onError", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TooManyTimersIsAnErrorTheScriptCanCatch()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.MaxTimers = 5);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            let made = 0;
            try { for (let i = 0; i < 10; i++) { setTimeout(() => {}, 100000); made++; } } catch (e) { console.log(made + ': ' + e.message); }
            App({});
            """)));
        Assert.Contains("5: Too many timers: at most 5 may be pending at once.", runtime.Console.Texts);
    }

    [Fact]
    public async Task PostReturnsFalseAfterTheMiniProgramEnded()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("App({});")));
        Assert.True(runtime.Program.Thread!.Post(() => { }));
        await this.WithTimeoutAsync(runtime.Program.HideAsync(TimeSpan.FromSeconds(5)));
        Assert.False(runtime.Program.Thread.Post(() => { }));
    }
}
