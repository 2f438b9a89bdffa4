using System.Text;
using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>Each way a mini program can run away ends it with a clear reason, and never the test process.</summary>
public class JsRunawayTests(ITestOutputHelper output) : TestBase(output)
{
    private const string WithoutYielding = "without yielding";

    [Theory]
    [InlineData("entry", "for (;;) {}")]
    [InlineData("entry-try", "try { for (;;) {} } catch (e) { console.log('swallowed'); } finally { console.log('finally'); }")]
    [InlineData("timer", "App({}); setTimeout(() => { try { while (true) {} } catch (e) { console.log('swallowed'); } }, 0);")]
    [InlineData("interval", "App({}); setInterval(() => { let i = 0; while (i >= 0) { i++; } }, 1);")]
    [InlineData("promise", "App({}); Promise.resolve().then(() => { try { for (;;) {} } catch (e) { console.log('swallowed'); } });")]
    [InlineData("await", "App({ async onLaunch() { await null; for (;;) {} } });")]
    [InlineData("onShow", "App({ onShow() { for (;;) {} } });")]
    public async Task AnEndlessLoopAnywhereIsStoppedAsRunningWithoutYielding(string where, string appJs)
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.TaskTimeout = TimeSpan.FromMilliseconds(300));
        string? launch = await this.WithTimeoutAsync(runtime.LaunchAsync(appJs));
        string reason = await this.WithTimeoutAsync(runtime.Failure.Reason);
        this.Output.WriteLine($"{where}: launch {launch ?? "ok"}; stopped: {reason}");
        Assert.StartsWith("JavaScript stopped: ", reason, StringComparison.Ordinal);
        Assert.Contains(WithoutYielding, reason, StringComparison.Ordinal);
        Assert.DoesNotContain("swallowed", runtime.Console.Texts);
        Assert.False(runtime.Program.Thread!.Post(() => { }));
        Assert.Equal(1, runtime.Failure.Count);
        if (where is "entry" or "entry-try" or "onShow")
        {
            Assert.Equal(reason, launch);
        }
    }

    [Fact]
    public async Task OneRunAllocatingWithoutBoundIsStoppedForTheHeap()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.MaxRunAllocationBytes = 32L * 1024 * 1024);
        string? launch = await this.WithTimeoutAsync(runtime.LaunchAsync("""
            App({ onLaunch() { const keep = []; try { for (;;) { keep.push('x'.repeat(1000) + Math.random()); } } catch (e) { console.log('swallowed'); } } });
            """));
        string reason = await this.WithTimeoutAsync(runtime.Failure.Reason);
        this.Output.WriteLine($"launch {launch ?? "ok"}; stopped: {reason}");
        Assert.StartsWith("JavaScript stopped: ", reason, StringComparison.Ordinal);
        Assert.Contains("heap", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("swallowed", runtime.Console.Texts);
    }

    [Theory]
    [InlineData("function f(n) { return f(n + 1) + 1; } try { f(0); } catch (e) { console.log('swallowed'); }")]
    [InlineData("function f(n) { try { return f(n + 1); } catch (e) { return f(n + 1); } } f(0);")]
    [InlineData("function f(n) { return [n].map(x => f(x + 1))[0]; } f(0);")]
    [InlineData("const o = { get deep() { return this.deep; } }; o.deep;")]
    [InlineData("function f(n) { try { return [n].map(x => { try { return f(x + 1); } catch (e) { throw e; } finally { n++; } })[0]; } catch (e) { throw e; } finally { n--; } } f(0);")]
    [InlineData("function f(n) { return g(n + 1); } function g(n) { return h(n + 1); } function h(n) { return i(n + 1); } function i(n) { return [n].map(x => { try { return f(x + 1); } finally { n++; } })[0]; } f(0);")]
    public async Task UnboundedRecursionIsStoppedAsRecursion(string code)
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        string? launch = await this.WithTimeoutAsync(runtime.LaunchAsync("App({ onLaunch() { " + code + " } });"));
        string reason = await this.WithTimeoutAsync(runtime.Failure.Reason);
        this.Output.WriteLine($"launch {launch ?? "ok"}; stopped: {reason}");
        Assert.StartsWith("JavaScript stopped: ", reason, StringComparison.Ordinal);
        Assert.Contains("recursion", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("swallowed", runtime.Console.Texts);
    }

    [Theory]
    [InlineData("(", "1", ")", 20_000)]
    [InlineData("[", "1", "]", 20_000)]
    [InlineData("{a:", "1", "}", 20_000)]
    [InlineData("(", "1", ")", 400_000)]
    [InlineData("1+(", "1", ")", 12_000)]
    [InlineData("1+(", "1", ")", 18_000)]
    [InlineData("1+(", "1", ")", 60_000)]
    [InlineData("-(", "1", ")", 60_000)]
    [InlineData("f(", "1", ")", 60_000)]
    [InlineData("-(", "1", ")", 12_000)]
    [InlineData("-(", "1", ")", 18_000)]
    [InlineData("(() => ", "1", ")()", 12_000)]
    [InlineData("f(", "1", ")", 12_000)]
    [InlineData("f(", "1", ")", 18_000)]
    [InlineData("[", "1", "]", 400_000)]
    public async Task DeeplyNestedSourceEitherRunsOrEndsWithAClearReasonAndNeverCrashes(string open, string inner, string close, int depth)
    {
        // Parsing the deepest of these (12 000 nested arrow functions: about 5 s on a loaded 2-core machine) cannot be
        // interrupted and counts in the entry script's run, so under a heavier load it outlasted a 10 s task timeout and
        // the run ended "without yielding" instead of with the nesting's own outcome. The task timeout is therefore longer
        // than this test's own deadline (which alone bounds it, and reports a hang as a hang), and that deadline is generous.
        this.ExtendTimeout(TimeSpan.FromMinutes(2));
        var source = new StringBuilder("function f(v) { return v; } var x = ");
        source.Insert(source.Length, open, depth).Append(inner).Insert(source.Length, close, depth).Append("; console.log('evaluated'); App({});");
        // Past 100 000 levels, a smaller stack than the default, so that the parser runs out of it at a depth quick to parse.
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => (o.TaskTimeout, o.StackSizeBytes) = (TimeSpan.FromMinutes(10), depth > 100_000 ? 16 * 1024 * 1024 : o.StackSizeBytes));
        string? launch = await this.WithTimeoutAsync(runtime.LaunchAsync(source.ToString()));
        this.Output.WriteLine($"{open}×{depth}: launch {launch ?? "ok"}; runaways {runtime.Failure.Count}");
        if (launch is null)
        {
            Assert.Contains("evaluated", runtime.Console.Texts);
        }
        else
        {
            Assert.StartsWith("JavaScript stopped: ", launch, StringComparison.Ordinal);
            Assert.Contains("recursion", launch, StringComparison.Ordinal);
            Assert.Equal(launch, await this.WithTimeoutAsync(runtime.Failure.Reason));
        }
    }
}
