using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.OpenApi;
using IpcBroker.Tests;
using Jint;
using Jint.Native;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.JavaScript.Tests.Wx;

public class WxOpenApiTests(ITestOutputHelper output) : TestBase(output)
{
    public static TheoryData<string> Apis => [.. OpenApiDispatcher.ApiNames];

    [Fact]
    public async Task EveryOpenApiIsAFunctionOfWx()
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        JsValue names = await this.WithTimeoutAsync(js.RunAsync("Object.keys(wx).filter(k => typeof wx[k] === 'function').join(',')"));
        Assert.Subset(names.AsString().Split(',').ToHashSet(), OpenApiDispatcher.ApiNames.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task CallbackStyleSuccessThenCompleteInALaterTask(string api)
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync($$"""
            wx.{{api}}({ orderId: 'o-1', nested: { n: 2 },
              success(res) { log('success ' + JSON.stringify(res)); },
              fail(err) { log('fail ' + JSON.stringify(err)); },
              complete(res) { log('complete ' + res.errMsg); } });
            log('returned');
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.Empty(js.Thread.Errors);
        Assert.Equal(
            [
                "returned",
                $$$"""success {"api":"{{{api}}}","params":{"orderId":"o-1","nested":{"n":2}},"errMsg":"{{{api}}}:ok"}""",
                $"complete {api}:ok",
            ],
            js.Lines);
        Assert.Empty(js.Thread.Errors);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task CallbackStyleFailGivesErrMsgAndErrnoThenComplete(string api)
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync($$"""
            wx.{{api}}({ reject: true,
              success(res) { log('success ' + JSON.stringify(res)); },
              fail(err) { log('fail ' + JSON.stringify(err)); },
              complete(res) { log('complete ' + JSON.stringify(res)); } });
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("complete", StringComparison.Ordinal)));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        string err = $$"""{"errMsg":"{{api}}:fail nope {{api}}","errno":{{OpenApiErrno.PaymentFailed}}}""";
        Assert.Equal(["fail " + err, "complete " + err], js.Lines);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task PromiseStyleResolvesWithRes(string api)
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync($$"""
            const p = wx.{{api}}({ amount: 5 });
            log('promise ' + (p instanceof Promise));
            p.then(res => log('res ' + JSON.stringify(res)), err => log('err ' + JSON.stringify(err)));
            """));

        await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("res", StringComparison.Ordinal) || l.StartsWith("err", StringComparison.Ordinal)));
        Assert.Equal(["promise true", $$"""res {"api":"{{api}}","params":{"amount":5},"errMsg":"{{api}}:ok"}"""], js.Lines);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task PromiseStyleRejectsWithErrMsgAndErrnoOnly(string api)
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync($$"""
            (async () => {
              try { await wx.{{api}}({ reject: true }); log('resolved'); }
              catch (err) { log('rejected ' + Object.keys(err).join(',') + ' ' + err.errMsg + ' ' + err.errno); }
            })();
            """));

        string line = await this.WithTimeoutAsync(js.WaitForLineAsync(l => l.StartsWith("re", StringComparison.Ordinal)));
        Assert.Equal($"rejected errMsg,errno {api}:fail nope {api} {OpenApiErrno.PaymentFailed}", line);
    }

    [Fact]
    public async Task CompleteAloneRunsOnceWithRes()
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        JsValue returned = await this.WithTimeoutAsync(js.RunAsync("wx.login({ complete(res) { log(res.errMsg); } })"));

        await this.WithTimeoutAsync(js.WaitForLineAsync("login:ok"));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.True(returned.IsUndefined());
        Assert.Equal(["login:ok"], js.Lines);
    }

    [Fact]
    public async Task NoOptionsIsAPromiseWithEmptyParameters()
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync("wx.getEmail().then(res => log(JSON.stringify(res.params)))"));
        Assert.Equal("{}", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)));
    }

    [Fact]
    public async Task ACallbackThatThrowsIsReportedAndCompleteStillRuns()
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync("wx.login({ success() { throw new Error('boom'); }, complete() { log('complete'); } })"));

        await this.WithTimeoutAsync(js.WaitForLineAsync("complete"));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());
        Assert.Contains("boom", Assert.Single(js.Thread.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoppingCancelsTheCallInFlight()
    {
        var proxy = new EchoOpenApiProxy { Gate = new TaskCompletionSource() };
        using JsHarness js = await this.StartAsync(proxy);
        await this.WithTimeoutAsync(js.RunAsync("wx.login({ fail(err) { log(err.errno + ' ' + err.errMsg); } })"));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());

        js.Stopping.Cancel();

        string line = await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true));
        Assert.StartsWith($"{OpenApiErrno.Canceled} login:fail", line, StringComparison.Ordinal);
        Assert.True(proxy.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task AnAnswerAfterTheMiniProgramEndedIsDroppedQuietly()
    {
        var proxy = new EchoOpenApiProxy { Gate = new TaskCompletionSource() };
        using JsHarness js = await this.StartAsync(proxy);
        await this.WithTimeoutAsync(js.RunAsync("wx.login({ complete() { log('complete'); } }); wx.checkSession().then(() => log('then'))"));
        await this.WithTimeoutAsync(js.Thread.FlushAsync());

        js.Thread.End();
        proxy.Gate.SetResult();

        await this.WaitForLogAsync(r => r.EventId == 4050 && r.Message.Contains("checkSession", StringComparison.Ordinal));
        await this.WaitForLogAsync(r => r.EventId == 4050 && r.Message.Contains("login", StringComparison.Ordinal));
        Assert.Equal(2, js.Thread.Refused);
        Assert.Empty(js.Lines);
        Assert.Empty(js.Thread.Errors);
    }

    [Fact]
    public async Task ParametersThatAreNotJsonFailWithBadParameters()
    {
        using JsHarness js = await this.StartAsync(new EchoOpenApiProxy());
        await this.WithTimeoutAsync(js.RunAsync("const o = {}; o.self = o; wx.login(o).catch(err => log(err.errno + ''))"));
        Assert.Equal($"{OpenApiErrno.BadParameters}", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)));
    }

    [Fact]
    public async Task WithoutARegisteredProxyTheDefaultsRunAndTheOthersAreNotImplemented()
    {
        using JsHarness js = await JsHarness.StartAsync(NoMainProcess.Context(), this.LoggerFactory, _ => { });
        await this.WithTimeoutAsync(js.RunAsync("wx.getUserInfo().catch(err => log(err.errno + ''))"));
        Assert.Equal($"{OpenApiErrno.NotImplemented}", await this.WithTimeoutAsync(js.WaitForLineAsync(_ => true)));
    }

    private Task<JsHarness> StartAsync(MiniOpenApiProxy proxy) =>
        JsHarness.StartAsync(NoMainProcess.Context(), this.LoggerFactory, s => s.AddSingleton(proxy));
}
