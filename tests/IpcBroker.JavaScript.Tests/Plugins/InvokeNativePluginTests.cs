using System.Text.Json.Nodes;
using IpcBroker.JavaScript.Tests.Wx;
using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.OpenApi;
using IpcBroker.Testing;
using IpcBroker.Tests;
using Jint;
using Jint.Native;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.JavaScript.Tests.Plugins;

public class InvokeNativePluginTests(ITestOutputHelper output) : TestBase(output)
{
    private const string Callbacks = """
        success(res) { log('success ' + JSON.stringify(res)); },
        fail(err) { log('fail ' + JSON.stringify(err)); },
        complete(res) { log('complete ' + res.errMsg); },
        onState(state) { log('state ' + JSON.stringify(state)); }
        """;

    [Fact]
    public async Task OkSyncIsReturnedAtOnceAndTheCallbacksStillRunLater()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync("""
            const r = wx.invokeNativePlugin({ api_name: 't.sync', data: { a: 1 }, success(res) { log('success same ' + (res === r)); } });
            log('returned ' + JSON.stringify(r));
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("success", StringComparison.Ordinal)));
        Assert.Equal(["""returned {"echo":{"a":1},"errMsg":"invokeNativePlugin:ok"}""", "success same true"], js.Lines);
    }

    [Fact]
    public async Task OkSyncInPromiseStyleReturnsRes()
    {
        using JsHarness js = await this.StartAsync();
        JsValue returned = await this.WithTimeoutAsync(js.RunAsync("wx.invokeNativePlugin({ api_name: 't.sync' }).errMsg"));
        Assert.Equal("invokeNativePlugin:ok", returned.AsString());
    }

    [Fact]
    public async Task AnAsyncHandlerAnswersLaterInCallbackStyle()
    {
        using JsHarness js = await this.StartAsync();
        JsValue returned = await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: 't.async', data: { x: 'y' }, {{Callbacks}} })"""));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.True(returned.IsUndefined());
        Assert.Equal(["""success {"x":"y","errMsg":"invokeNativePlugin:ok"}""", "complete invokeNativePlugin:ok"], js.Lines);
    }

    [Fact]
    public async Task StatesArriveInOrderBeforeTheFinalAnswer()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: 't.states', {{Callbacks}} })"""));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.Equal(
            ["""state {"n":1}""", """state {"n":2}""", """state {"n":3}""", """success {"done":true,"errMsg":"invokeNativePlugin:ok"}""", "complete invokeNativePlugin:ok"],
            js.Lines);
    }

    [Fact]
    public async Task PromiseStyleWithStates()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync("""
            (async () => {
              const res = await wx.invokeNativePlugin({ api_name: 't.states', onState: s => log('state ' + s.n) });
              log('done ' + res.done + ' ' + res.errMsg);
            })();
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("done", StringComparison.Ordinal)));
        Assert.Equal(["state 1", "state 2", "state 3", "done true invokeNativePlugin:ok"], js.Lines);
    }

    [Fact]
    public async Task OnlyTheFirstFinalAnswerCounts()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: 't.double', {{Callbacks}} })"""));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.Equal(["""success {"n":1,"errMsg":"invokeNativePlugin:ok"}""", "complete invokeNativePlugin:ok"], js.Lines);
        Assert.Equal(2, this.Logs.Records.Count(r => r.EventId == 4051));
    }

    [Fact]
    public async Task AStateAfterTheFinalAnswerIsIgnored()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: 't.lateState', {{Callbacks}} })"""));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.Equal(["""success {"errMsg":"invokeNativePlugin:ok"}""", "complete invokeNativePlugin:ok"], js.Lines);
        Assert.Single(this.Logs.Records, r => r.EventId == 4052);
    }

    [Theory]
    [InlineData("t.throws", 4053)]
    [InlineData("t.throwsAsync", 4053)]
    [InlineData("t.silent", 4054)]
    public async Task AThrowingOrSilentHandlerFailsTheCallWithoutItsDetail(string api, int eventId)
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: '{{api}}', {{Callbacks}} })"""));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        string fail = Assert.Single(js.Lines, l => l.StartsWith("fail", StringComparison.Ordinal));
        Assert.StartsWith("""fail {"errMsg":"invokeNativePlugin:fail The handler of """, fail, StringComparison.Ordinal);
        Assert.Contains($"\"errno\":{OpenApiErrno.InternalError}", fail, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", fail, StringComparison.Ordinal);
        Assert.Single(this.Logs.Records, r => r.EventId == eventId);
        Assert.Empty(js.Thread.Errors);
    }

    [Fact]
    public async Task FailGivesItsMessageAndErrno()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync("""
            wx.invokeNativePlugin({ api_name: 't.fail' }).catch(err => log(JSON.stringify(err)));
            wx.invokeNativePlugin({ api_name: 't.failDefault' }).catch(err => log(JSON.stringify(err)));
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.Contains("-1", StringComparison.Ordinal)));
        Assert.Equal(["""{"errMsg":"invokeNativePlugin:fail out of stock","errno":42}""", $$"""{"errMsg":"invokeNativePlugin:fail","errno":{{JsPluginRequest.DefaultFailErrno}}}"""], js.Lines);
    }

    [Theory]
    [InlineData("{ api_name: 't.none' }", OpenApiErrno.UnknownApi)]
    [InlineData("{ data: {} }", OpenApiErrno.BadParameters)]
    [InlineData("{ api_name: 7 }", OpenApiErrno.BadParameters)]
    [InlineData("undefined", OpenApiErrno.BadParameters)]
    [InlineData("{ api_name: 't.sync', data: [1] }", OpenApiErrno.BadParameters)]
    [InlineData("{ api_name: 't.sync', data: 'text' }", OpenApiErrno.BadParameters)]
    public async Task UnknownOrMalformedCallsFailLaterWithTheirErrno(string options, int errno)
    {
        using JsHarness js = await this.StartAsync();
        JsValue returned = await this.WithTimeoutAsync(js.RunAsync($"const p = wx.invokeNativePlugin({options}); log('returned'); p.catch(err => log(err.errno + ' ' + err.errMsg)); p"));

        string line = await this.WithTimeoutAsync(js.WaitForLineAsync(l => l != "returned"));
        Assert.StartsWith($"{errno} invokeNativePlugin:fail ", line, StringComparison.Ordinal);
        Assert.Equal("returned", js.Lines[0]);
        Assert.IsNotType<JsString>(returned);
    }

    [Fact]
    public async Task OneHandlerServesEachOfItsNames()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync("Promise.all([wx.invokeNativePlugin({ api_name: 't.a' }), wx.invokeNativePlugin({ api_name: 't.b' })]).then(rs => log(rs.map(r => r.name).join(',')))"));
        Assert.Equal("t.a,t.b", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)));
    }

    [Fact]
    public async Task AHandlerCallsTheMainProcess()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory(loggerFactory: this.LoggerFactory);
        broker.MainRegistry.Register(new TestEchoMainPlugin());
        IpcTestMiniApp mini = await this.WithTimeoutAsync(broker.OpenMiniAppAsync("wx-js-plugins"));
        using JsHarness js = await JsHarness.StartAsync(mini.Context, this.LoggerFactory, s => s.AddJsPlugin<TestJsPlugin>());

        await this.WithTimeoutAsync(js.RunAsync("wx.invokeNativePlugin({ api_name: 't.main', data: { text: 'hi' } }).then(res => log(JSON.stringify(res)))"));

        Assert.Equal("""{"text":"hi","caller":"wx-js-plugins","errMsg":"invokeNativePlugin:ok"}""", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)));
        Assert.Single(broker.Recorder.Calls, c => c.EventId == TestJsPlugin.EchoEvent && c.Peer.AppId == "wx-js-plugins");
    }

    [Fact]
    public async Task AnAnswerAfterTheMiniProgramEndedIsDroppedQuietly()
    {
        using JsHarness js = await this.StartAsync();
        await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: 't.hold', {{Callbacks}} })"""));
        JsPluginRequest request = await this.WithTimeoutAsync(js.Services.GetRequiredService<TestJsPlugin>().Held.Task);

        js.Stopping.Cancel();
        js.Thread.End();
        Assert.True(request.CancellationToken.IsCancellationRequested);
        request.SendState(new JsonObject { ["n"] = 1 });
        request.Ok();

        Assert.Equal(2, js.Thread.Refused);
        Assert.Equal(2, this.Logs.Records.Count(r => r.EventId == 4050));
        Assert.Empty(js.Lines);
        Assert.Empty(js.Thread.Errors);
    }

    [Fact]
    public async Task AHandlerThatNeverAnswersFailsWithTimeoutAndItsTokenFires()
    {
        using JsHarness js = await JsHarness.StartAsync(NoMainProcess.Context(), this.LoggerFactory, s => s
            .AddJsPlugin<TestJsPlugin>()
            .Configure<JavaScriptOptions>(o => o.NativePluginTimeout = TimeSpan.FromMilliseconds(200)));
        await this.WithTimeoutAsync(js.RunAsync($$"""wx.invokeNativePlugin({ api_name: 't.hold', {{Callbacks}} })"""));
        JsPluginRequest request = await this.WithTimeoutAsync(js.Services.GetRequiredService<TestJsPlugin>().Held.Task);
        var tokenFired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = request.CancellationToken.Register(tokenFired.SetResult);

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(tokenFired.Task);
        Assert.False(js.Stopping.IsCancellationRequested);
        Assert.True(request.IsAnswered);
        request.Ok();
        await this.WithTimeoutAsync(js.Thread.FlushAsync());

        Assert.Equal(
            [$$"""fail {"errMsg":"invokeNativePlugin:fail t.hold gave no answer within 200 ms","errno":{{OpenApiErrno.Timeout}}}""", "complete invokeNativePlugin:fail t.hold gave no answer within 200 ms"],
            js.Lines);
        Assert.Single(this.Logs.Records, r => r.EventId == 4051);
        Assert.Single(this.Logs.Records, r => r.EventId == 4058);
        Assert.Empty(js.Thread.Errors);
    }

    private Task<JsHarness> StartAsync() =>
        JsHarness.StartAsync(NoMainProcess.Context(), this.LoggerFactory, s => s.AddJsPlugin<TestJsPlugin>());
}
