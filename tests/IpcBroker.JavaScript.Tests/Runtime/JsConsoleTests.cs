using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

public class JsConsoleTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task EachConsoleMethodWritesOneLineAtItsLevel()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            console.log('l'); console.info('i'); console.warn('w'); console.error('e'); console.debug('d');
            App({});
            """)));
        Assert.Equal([("log", "l"), ("info", "i"), ("warn", "w"), ("error", "e"), ("debug", "d")], runtime.Console.Lines);
    }

    [Fact]
    public async Task ArgumentsAreJoinedBySpacesObjectsAsJsonErrorsWithTheirMessage()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            const cyclic = {}; cyclic.self = cyclic;
            console.log('a', 1, 2.5, true, null, undefined, { x: 1, s: 'y' }, [1, 'two'], function named() {});
            console.log(new RangeError('out of range'));
            console.log(cyclic);
            App({});
            """)));
        IReadOnlyList<string> texts = runtime.Console.Texts;
        Assert.Equal("""a 1 2.5 true null undefined {"x":1,"s":"y"} [1,"two"] [Function named]""", texts[0]);
        Assert.StartsWith("RangeError: out of range", texts[1], StringComparison.Ordinal);
        Assert.Equal("[object Object]", texts[2]);
    }
}
