using System.Text.Json.Nodes;
namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>
/// Custom APIs from JavaScript (<c>wx.invokeNativePlugin</c>) reaching the test mini app's <c>E2eJsPlugin</c> in
/// a real mini process: synchronous, asynchronous, with states, calling the main process, failing.
/// </summary>
public sealed class JsCustomApiTests(ITestOutputHelper output) : JsTestBase(output)
{
    private const string AppId = "wx-js-custom";

    /// <summary>The main-process event <c>e2e.main</c> calls (E2eJsPlugin.MainEcho in the test mini app).</summary>
    private const string MainEcho = "e2e.mainEcho";

    [Fact]
    public async Task CustomApisAnswerSyncAsyncWithStatesInOrderAndThroughTheMainProcess()
    {
        this.MainRegistry.AddHandler(MainEcho, request => Task.FromResult(new Bundle().PutString("echo", "main got " + request.Data.GetString("text"))));
        this.StartHost(JsOptions(null, spareProcesses: 0, Package("custom")));

        await this.OpenAsync(AppId);
        await this.WaitForConsoleAsync(AppId, "^custom: (done|broke)");
        Assert.DoesNotContain(this.ConsoleLines(AppId), l => l.StartsWith("custom: broke", StringComparison.Ordinal));

        // OkSync: the call returns the answer at once; success still comes later.
        JsonObject returned = JsonNode.Parse(this.SingleLine(AppId, "custom: e2e.sync returned ").Replace(" after nothing", string.Empty, StringComparison.Ordinal))!.AsObject();
        Assert.Equal(42, returned["doubled"]!.GetValue<int>());
        Assert.Equal("invokeNativePlugin:ok", returned["errMsg"]!.GetValue<string>());
        Assert.EndsWith(" after nothing", this.SingleLine(AppId, "custom: e2e.sync returned "), StringComparison.Ordinal);
        Assert.Equal(42, this.JsonLine(AppId, "custom: e2e.sync success ")["doubled"]!.GetValue<int>());

        // Ok later: the call returns undefined.
        Assert.Equal("\"undefined\" after nothing", this.SingleLine(AppId, "custom: e2e.async returned "));
        JsonObject squared = this.JsonLine(AppId, "custom: e2e.async success ");
        Assert.Equal(49, squared["squared"]!.GetValue<int>());
        Assert.Equal("invokeNativePlugin:ok", squared["errMsg"]!.GetValue<string>());

        // States: each delivered, in order, before the final answer.
        Assert.Equal("state1+state2+state3+success+complete", this.SingleLine(AppId, "custom: e2e.states complete after "));
        Assert.Equal(3, this.JsonLine(AppId, "custom: e2e.states success ")["total"]!.GetValue<int>());
        string promiseStates = this.SingleLine(AppId, "custom: promise states ");
        Assert.StartsWith("1,2 then ", promiseStates, StringComparison.Ordinal);
        Assert.Equal(2, JsonNode.Parse(promiseStates["1,2 then ".Length..])!["total"]!.GetValue<int>());

        // JavaScript → JS plugin → the main process → back.
        JsonObject fromMain = this.JsonLine(AppId, "custom: e2e.main success ");
        Assert.Equal("main got hello main", fromMain["fromMain"]!.GetValue<string>());
        Assert.Equal(AppId, fromMain["appId"]!.GetValue<string>());

        // Failures: the handler's own, a handler that throws, an api_name nobody serves (1002).
        JsonObject refused = this.JsonLine(AppId, "custom: e2e.fail fail ");
        Assert.Equal("invokeNativePlugin:fail refused on purpose", refused["errMsg"]!.GetValue<string>());
        Assert.Equal(4242, refused["errno"]!.GetValue<int>());
        Assert.Equal("fail+complete", this.SingleLine(AppId, "custom: e2e.fail complete after "));
        Assert.StartsWith("invokeNativePlugin:fail", this.JsonLine(AppId, "custom: e2e.throws fail ")["errMsg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("fail+complete", this.SingleLine(AppId, "custom: e2e.throws complete after "));
        Assert.Equal(1002, this.JsonLine(AppId, "custom: e2e.nobody fail ")["errno"]!.GetValue<int>());
        Assert.Equal(4242, this.JsonLine(AppId, "custom: promise fail rejected ")["errno"]!.GetValue<int>());
        Assert.DoesNotContain("custom: promise fail resolved", this.ConsoleLines(AppId));
    }
}
