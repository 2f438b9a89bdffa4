using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.JavaScript;

namespace IpcBroker.JavaScript.Tests.Plugins;

/// <summary>Handlers for each way of answering, the tests' mini-process JS plugin.</summary>
[JsPlugin]
public sealed class TestJsPlugin
{
    public const string EchoEvent = "TEST_JS_ECHO";

    public TaskCompletionSource<JsPluginRequest> Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [JsEvent("t.sync")]
    public JsSyncAnswer Sync(JsPluginRequest request) => request.OkSync(new JsonObject { ["echo"] = request.Data.DeepClone() });

    [JsEvent("t.async")]
    public async Task OkLaterAsync(JsPluginRequest request)
    {
        await Task.Yield();
        request.Ok(new JsonObject { ["x"] = request.Data["x"]?.DeepClone() });
    }

    [JsEvent("t.states")]
    public void States(JsPluginRequest request) => _ = Task.Run(() =>
    {
        var state = new JsonObject { ["n"] = 1 };
        request.SendState(state);
        state["n"] = 2;
        request.SendState(state);
        state["n"] = 3;
        request.SendState(state);
        request.Ok(new JsonObject { ["done"] = true });
    });

    [JsEvent("t.double")]
    public void Double(JsPluginRequest request)
    {
        request.Ok(new JsonObject { ["n"] = 1 });
        request.Ok(new JsonObject { ["n"] = 2 });
        request.Fail("late");
    }

    [JsEvent("t.lateState")]
    public void LateState(JsPluginRequest request)
    {
        request.Ok();
        request.SendState(new JsonObject { ["n"] = 9 });
    }

    [JsEvent("t.throws")]
    public void Throws(JsPluginRequest request) => throw new InvalidOperationException("secret detail");

    [JsEvent("t.throwsAsync")]
    public async Task ThrowsLaterAsync(JsPluginRequest request)
    {
        await Task.Yield();
        throw new InvalidOperationException("secret detail");
    }

    [JsEvent("t.silent")]
    public Task SilentAsync(JsPluginRequest request) => Task.CompletedTask;

    [JsEvent("t.fail")]
    public void Fail(JsPluginRequest request) => request.Fail("out of stock", 42);

    [JsEvent("t.failDefault")]
    public void FailDefault(JsPluginRequest request) => request.Fail();

    [JsEvent("t.main")]
    public async Task CallMainAsync(JsPluginRequest request)
    {
        IpcResult echo = await request.App.Main.CallMainProcessPluginAsync(EchoEvent, new Bundle().PutString("text", request.Data["text"]?.GetValue<string>()), cancellationToken: request.CancellationToken);
        request.Ok(new JsonObject { ["text"] = echo.Data.GetString("text"), ["caller"] = echo.Data.GetString("caller") });
    }

    [JsEvent("t.hold")]
    public void Hold(JsPluginRequest request) => this.Held.TrySetResult(request);

    [JsEvent("t.a", "t.b")]
    public void Two(JsPluginRequest request) => request.Ok(new JsonObject { ["name"] = request.ApiName });
}
