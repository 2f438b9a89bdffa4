using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>A package whose modules require each other in a long chain ends with a reason or an error, never the process.</summary>
public class JsRequireChainTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public Task AChainOfAThousandModulesAtTheDefaultBoundsEndsWithAReasonNotTheProcess() => this.RunChainAsync(1_000, null);

    // Crashed the test process with a native stack overflow before require's nesting was bounded.
    [Fact]
    public async Task AChainOfFiveThousandModulesOnASmallStackThrowsACatchableErrorNotTheProcess()
    {
        IReadOnlyList<string> console = await this.RunChainAsync(5_000, 16 * 1024 * 1024);
        Assert.Contains(console, t => t.StartsWith("caught Error: ", StringComparison.Ordinal) && t.Contains("require nested deeper than 256 modules", StringComparison.Ordinal));
        Assert.Contains("survived", console);
    }

    [Fact]
    public async Task AChainOfExactlyTheBoundOfNestedRequiresRuns()
    {
        IReadOnlyList<string> console = await this.RunChainAsync(256, 16 * 1024 * 1024);
        Assert.Contains("got 0", console);
    }

    [Fact]
    public async Task AChainOneModuleLongerThanTheBoundThrowsACatchableError()
    {
        IReadOnlyList<string> console = await this.RunChainAsync(257, null);
        Assert.Contains(console, t => t.Contains("require nested deeper than 256 modules", StringComparison.Ordinal));
        Assert.DoesNotContain("got 0", console);
    }

    [Fact]
    public Task AChainOfAThousandModulesOnASmallStackEndsWithAReasonNotTheProcess() => this.RunChainAsync(1_000, 16 * 1024 * 1024);

    [Fact]
    public Task AChainOfAThousandHeavyModulesOnASmallStackEndsWithAReasonNotTheProcess() => this.RunChainAsync(1_000, 16 * 1024 * 1024, 40);

    [Fact]
    public async Task AShortChainGivesEachModulesExports()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("console.log('got ' + require('./m0')); App({});", ("m0.js", "module.exports = require('./m1') + 1;"), ("m1.js", "module.exports = require('./m2') + 1;"), ("m2.js", "module.exports = 40;"))));
        Assert.Contains("got 42", runtime.Console.Texts);
    }

    [Fact]
    public Task AChainOfAThousandHeavyModulesAtTheDefaultBoundsEndsWithAReasonNotTheProcess() => this.RunChainAsync(1_000, null, 120);

    private async Task<IReadOnlyList<string>> RunChainAsync(int length, int? stack, int nesting = 0)
    {
        var more = new (string Path, string Text)[length];
        for (int i = 0; i < length; i++)
        {
            more[i] = ($"m{i}.js", i + 1 < length ? "module.exports = " + string.Concat(Enumerable.Repeat("[(() => ", nesting)) + $"require('./m{i + 1}')" + string.Concat(Enumerable.Repeat(")()][0]", nesting)) + ";" : "module.exports = 0;");
        }

        using var runtime = new JsTestRuntime(this.LoggerFactory, o => (o.TaskTimeout, o.StackSizeBytes) = (TimeSpan.FromSeconds(5), stack ?? o.StackSizeBytes));
        string? launch = await this.WithTimeoutAsync(runtime.LaunchAsync("try { console.log('got ' + require('./m0')); } catch (e) { console.log('caught ' + e); } console.log('survived'); App({});", more));
        this.Output.WriteLine($"{length}: launch {launch ?? "ok"}; console {string.Join(" | ", runtime.Console.Texts)}");
        Assert.True(launch is null ? runtime.Console.Texts.Contains("survived") : launch.StartsWith("JavaScript stopped: ", StringComparison.Ordinal), launch);
        return [.. runtime.Console.Texts];
    }
}
