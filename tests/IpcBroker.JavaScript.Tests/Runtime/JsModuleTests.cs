using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

public class JsModuleTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task RequireResolvesRelativeToTheRequiringModuleAppendsJsAndParsesJson()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(
            "const f = require('./lib/format'); console.log(f.greet('ann')); App({});",
            ("lib/format.js", "const words = require('../data/words.json'); exports.greet = n => words.hello + ' ' + require('./upper.js')(n);"),
            ("lib/upper.js", "module.exports = s => s.toUpperCase();"),
            ("data/words.json", """{ "hello": "hi" }"""))));
        Assert.Equal(["hi ANN"], runtime.Console.Texts);
    }

    [Fact]
    public async Task AModuleRunsOnceAndIsCached()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(
            "const a = require('./counter'); const b = require('./counter.js'); console.log(a === b, a.n); App({});",
            ("counter.js", "console.log('counter runs'); exports.n = 1;"))));
        Assert.Equal(["counter runs", "true 1"], runtime.Console.Texts);
    }

    [Fact]
    public async Task ACycleGetsThePartialExportsAsInNode()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(
            "const a = require('./a'); console.log('main', a.done, a.sawB); App({});",
            ("a.js", "exports.done = false; const b = require('./b'); exports.sawB = b.done; exports.done = true;"),
            ("b.js", "const a = require('./a'); console.log('b sees a.done', a.done); exports.done = true;"))));
        Assert.Equal(["b sees a.done false", "main true true"], runtime.Console.Texts);
    }

    [Theory]
    [InlineData("./missing", "no file missing")]
    [InlineData("../outside", "leaves the package")]
    [InlineData("lib/../../etc/passwd", "leaves the package")]
    public async Task AMissingModuleOrAPathOutsideThePackageIsAJavaScriptError(string path, string expected)
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync(
            $"try {{ require('{path}'); }} catch (e) {{ console.log(e instanceof Error, e.message); }} App({{}});")));
        string line = Assert.Single(runtime.Console.Texts);
        Assert.StartsWith("true require(", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalAndFunctionFromAStringAreRefusedAsInWeChat()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            try { eval('1 + 1'); console.log('eval ran'); } catch (e) { console.log('eval refused'); }
            try { new Function('return 1')(); console.log('Function ran'); } catch (e) { console.log('Function refused'); }
            App({});
            """)));
        Assert.Equal(["eval refused", "Function refused"], runtime.Console.Texts);
    }
}
