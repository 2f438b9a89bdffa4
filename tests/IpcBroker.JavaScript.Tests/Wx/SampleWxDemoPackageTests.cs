using IpcBroker.MainProcess.Demo;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.MiniProcess.Samples;
using IpcBroker.Testing;
using IpcBroker.Tests;
using Jint;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.JavaScript.Tests.Wx;

/// <summary>
/// The sample package (mini-programs/wx-demo, copied to this project's output by the samples project) run against the
/// real wx functions, with a few lines of stand-in for the runtime's App/require/console (the runtime is jsengine's).
/// </summary>
public class SampleWxDemoPackageTests(ITestOutputHelper output) : TestBase(output)
{
    private static readonly string PackageDirectory = Path.Combine(AppContext.BaseDirectory, "mini-programs", "wx-demo");

    // Just enough of the runtime for the sample: CommonJS over the package's files, App() keeping its object, console to log().
    private const string RuntimeStandIn = """
        const cache = {};
        function resolve(base, path) {
          const parts = base ? base.split('/') : [];
          for (const p of path.split('/')) {
            if (p === '..') parts.pop(); else if (p !== '.' && p !== '') parts.push(p);
          }
          const joined = parts.join('/');
          return joined.endsWith('.js') ? joined : joined + '.js';
        }
        function makeRequire(base) {
          return function (path) {
            const full = resolve(base, path);
            if (cache[full]) return cache[full].exports;
            const module = { exports: {} };
            cache[full] = module;
            new Function('module', 'exports', 'require', readPackageFile(full))(module, module.exports, makeRequire(full.split('/').slice(0, -1).join('/')));
            return module.exports;
          };
        }
        var console = { log: t => log(String(t)), info: t => log(String(t)), warn: t => log('warn ' + t), error: t => log('error ' + t), debug: t => log(String(t)) };
        var App = o => { globalThis.__app = o; };
        makeRequire('')('./app.js');
        __app.onLaunch({});
        __app.onShow({});
        """;

    [Fact]
    public void ThePackageDeclaresItsAppIdAndEntry()
    {
        string appJson = File.ReadAllText(Path.Combine(PackageDirectory, "app.json"));
        var json = System.Text.Json.Nodes.JsonNode.Parse(appJson)!;
        Assert.Equal("wx-js-demo", json["appId"]!.GetValue<string>());
        Assert.Equal("app.js", json["entry"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheDemoRunsEveryStepAndEndsWithDone()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        var account = new FakeAccount { SignedIn = "u-demo" };
        account.Profiles["u-demo"] = new UserProfile("Demo User");
        var payments = new SamplePaymentProvider();
        await using OpenApiTestContext openApi = await this.WithTimeoutAsync(broker.AddOpenApisAsync(account, payments));
        var transcript = new DemoTranscript(TextWriter.Null);
        broker.MainRegistry.Register(new UserDataPlugin(transcript, account));
        broker.MainRegistry.Register(new JsGreetingPlugin(transcript));
        IpcTestMiniApp mini = await this.WithTimeoutAsync(broker.OpenMiniAppAsync("wx-js-demo"));
        using JsHarness js = await JsHarness.StartAsync(mini.Context, this.LoggerFactory, s => s.AddSingleton<MiniOpenApiProxy, SampleOpenApiProxy>().AddJsPlugin<CountdownJsPlugin>());

        await this.WithTimeoutAsync(js.Thread.RunAsync(() =>
        {
            js.Thread.Engine.SetValue("readPackageFile", new Func<string, string>(path => File.ReadAllText(Path.Combine(PackageDirectory, path))));
            return js.Thread.Engine.Evaluate(RuntimeStandIn);
        }));

        await this.WithTimeoutAsync(js.WaitForLineAsync("demo: done"));
        foreach (string line in js.Lines)
        {
            this.Output.WriteLine(line);
        }

        string[] expected =
        [
            "demo: onLaunch", "demo: onShow", "demo: login ok", "demo: checkSession ok", "demo: getUserInfo ok", "demo: requestPayment ok",
            "demo: requestPayment ok", "demo: requestPayment same outcome: true", "demo: demo.countdown state {\"left\":3}",
            "demo: demo.countdown state {\"left\":2}", "demo: demo.countdown state {\"left\":1}",
            "demo: demo.countdown ok {\"greeting\":\"Hello, wx-js-demo, from the main process!\",\"appId\":\"wx-js-demo\",\"errMsg\":\"invokeNativePlugin:ok\"}",
            "demo: done",
        ];
        Assert.Equal(expected.Length, js.Lines.Count);
        Assert.All(expected.Zip(js.Lines), pair => Assert.StartsWith(pair.First, pair.Second, StringComparison.Ordinal));
        Assert.Equal(1, payments.ChargesFor("wx-js-demo-order-1"));
        Assert.Empty(js.Thread.Errors);
    }
}
