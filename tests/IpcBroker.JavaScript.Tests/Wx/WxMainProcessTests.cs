using IpcBroker.JavaScript.Tests.Plugins;
using IpcBroker.MainProcess.Demo;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.MiniProcess.Samples;
using IpcBroker.OpenApi;
using IpcBroker.Testing;
using IpcBroker.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.JavaScript.Tests.Wx;

/// <summary>wx calls that go all the way: JavaScript → dispatcher → the in-memory broker → the main process's plugins → back.</summary>
public class WxMainProcessTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task LoginThenCheckSessionSucceedThroughTheMainProcess()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        var account = new FakeAccount { SignedIn = "u-js" };
        await using OpenApiTestContext openApi = await this.WithTimeoutAsync(broker.AddOpenApisAsync(account, new SamplePaymentProvider()));
        using JsHarness js = await this.StartAsync(broker, "wx-js-session");

        await this.WithTimeoutAsync(js.RunAsync("""
            wx.login({
              success(res) { log('login ' + typeof res.code + ' ' + res.errMsg); },
              fail(err) { log('login fail ' + JSON.stringify(err)); },
              complete() {
                wx.checkSession().then(res => log('checkSession ' + res.errMsg), err => log('checkSession fail ' + JSON.stringify(err)));
              },
            });
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("checkSession", StringComparison.Ordinal)));
        Assert.Equal(["login string login:ok", "checkSession checkSession:ok"], js.Lines);
    }

    [Fact]
    public async Task CheckSessionWithoutALoginFailsWithSessionExpired()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        await using OpenApiTestContext openApi = await this.WithTimeoutAsync(broker.AddOpenApisAsync(new FakeAccount { SignedIn = "u-js" }, new SamplePaymentProvider()));
        using JsHarness js = await this.StartAsync(broker, "wx-js-nosession");

        await this.WithTimeoutAsync(js.RunAsync("wx.checkSession({ fail(err) { log(err.errno + ' ' + err.errMsg); } })"));

        Assert.StartsWith($"{OpenApiErrno.SessionExpired} checkSession:fail ", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSamePaymentTwiceGivesTheSameOutcomeAndOneCharge()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        var payments = new SamplePaymentProvider();
        await using OpenApiTestContext openApi = await this.WithTimeoutAsync(broker.AddOpenApisAsync(new FakeAccount { SignedIn = "u-js" }, payments));
        using JsHarness js = await this.StartAsync(broker, "wx-js-pay");

        await this.WithTimeoutAsync(js.RunAsync("""
            (async () => {
              const order = { orderId: 'o-js-1', amount: 3 };
              const first = await wx.requestPayment(order);
              const again = await wx.requestPayment(order);
              log(JSON.stringify(first));
              log(JSON.stringify(again));
            })().catch(err => log('rejected ' + JSON.stringify(err)));
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(_ => js.Lines.Count == 2));
        Assert.Equal(js.Lines[0], js.Lines[1]);
        Assert.Contains("\"orderId\":\"o-js-1\"", js.Lines[0], StringComparison.Ordinal);
        Assert.Contains("\"errMsg\":\"requestPayment:ok\"", js.Lines[0], StringComparison.Ordinal);
        Assert.Equal(1, payments.ChargesFor("o-js-1"));
    }

    [Fact]
    public async Task GetUserInfoAsksTheMainProcess()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        var account = new FakeAccount { SignedIn = "u-js" };
        account.Profiles["u-js"] = new UserProfile("Ada");
        broker.MainRegistry.Register(new UserDataPlugin(new DemoTranscript(TextWriter.Null), account));
        using JsHarness js = await this.StartAsync(broker, "wx-js-user");

        await this.WithTimeoutAsync(js.RunAsync("wx.getUserInfo({ success(res) { log(res.userId + ' ' + res.userInfo.nickName + ' ' + res.errMsg); } })"));

        Assert.Equal("u-js Ada getUserInfo:ok", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)));
    }

    [Fact]
    public async Task TheSampleCountdownSendsItsStatesThenTheMainProcessGreeting()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        broker.MainRegistry.Register(new JsGreetingPlugin(new DemoTranscript(TextWriter.Null)));
        IpcTestMiniApp mini = await this.WithTimeoutAsync(broker.OpenMiniAppAsync("wx-js-demo"));
        using JsHarness js = await JsHarness.StartAsync(mini.Context, this.LoggerFactory, s => s.AddJsPlugin<CountdownJsPlugin>());

        await this.WithTimeoutAsync(js.RunAsync("""
            wx.invokeNativePlugin({
              api_name: 'demo.countdown',
              onState: s => log('left ' + s.left),
              success: res => log(JSON.stringify(res)),
              fail: err => log('fail ' + JSON.stringify(err)),
            });
            log('appId ' + wx.invokeNativePlugin({ api_name: 'demo.appId', complete() {} }).appId);
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith('{')));
        Assert.Equal(
            ["appId wx-js-demo", "left 3", "left 2", "left 1", """{"greeting":"Hello, wx-js-demo, from the main process!","appId":"wx-js-demo","errMsg":"invokeNativePlugin:ok"}"""],
            js.Lines);
        Assert.Single(broker.Recorder.Calls, c => c.EventId == WellKnownEvents.SampleJsGreeting && c.Peer.AppId == "wx-js-demo");
    }

    private async Task<JsHarness> StartAsync(IIpcTestBroker broker, string appId)
    {
        IpcTestMiniApp mini = await this.WithTimeoutAsync(broker.OpenMiniAppAsync(appId));
        return await JsHarness.StartAsync(mini.Context, this.LoggerFactory, s => s.AddSingleton<MiniOpenApiProxy, SampleOpenApiProxy>().AddJsPlugin<TestJsPlugin>());
    }
}
