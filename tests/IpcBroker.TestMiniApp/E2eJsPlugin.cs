using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.JavaScript;

namespace IpcBroker.TestMiniApp;

/// <summary>
/// The custom APIs the JavaScript end-to-end tests call with <c>wx.invokeNativePlugin</c>: a synchronous answer, an
/// asynchronous one, intermediate states, a call to the main process, a failure, a handler that throws.
/// </summary>
[JsPlugin]
public sealed class E2eJsPlugin
{
    /// <summary>The main-process event that <c>e2e.main</c> calls (the end-to-end tests serve it).</summary>
    public const string MainEcho = "e2e.mainEcho";

    /// <summary>Answers at once: <c>{doubled: 2n}</c>.</summary>
    [JsEvent("e2e.sync")]
    public JsSyncAnswer Sync(JsPluginRequest req) => req.OkSync(new JsonObject { ["doubled"] = N(req) * 2 });

    /// <summary>Answers later, from another thread: <c>{squared: n²}</c>.</summary>
    [JsEvent("e2e.async")]
    public async Task SquareAsync(JsPluginRequest req)
    {
        int n = N(req);
        await Task.Delay(10, req.CancellationToken);
        req.Ok(new JsonObject { ["squared"] = n * n });
    }

    /// <summary>Sends <c>{step: 1..count}</c> as states, then answers <c>{total: count}</c>.</summary>
    [JsEvent("e2e.states")]
    public async Task StatesAsync(JsPluginRequest req)
    {
        int count = Number(req, "count");
        for (int step = 1; step <= count; step++)
        {
            req.SendState(new JsonObject { ["step"] = step });
            await Task.Delay(5, req.CancellationToken);
        }

        req.Ok(new JsonObject { ["total"] = count });
    }

    /// <summary>Calls the main process's <see cref="MainEcho"/> with the request's text and answers what came back.</summary>
    [JsEvent("e2e.main")]
    public async Task CallMainAsync(JsPluginRequest req)
    {
        IpcResult result = await req.App.Main.CallMainProcessPluginAsync(MainEcho, new Bundle().PutString("text", req.Data["text"]?.GetValue<string>()), cancellationToken: req.CancellationToken);
        if (result.IsSuccess)
        {
            req.Ok(new JsonObject { ["fromMain"] = result.Data.GetString("echo"), ["appId"] = req.App.AppId });
        }
        else
        {
            req.Fail(result.ErrorMessage);
        }
    }

    /// <summary>Fails with a message and an errno of its own.</summary>
    [JsEvent("e2e.fail")]
    public void Refuse(JsPluginRequest req) => req.Fail("refused on purpose", 4242);

    /// <summary>Throws: the caller gets a failure.</summary>
    [JsEvent("e2e.throws")]
    public void Throw(JsPluginRequest req) => throw new InvalidOperationException("the handler broke");

    private static int N(JsPluginRequest req) => Number(req, "n");

    // Whatever JsonNode kind the JavaScript number became (a parsed element, a double, an int), its JSON text is a number.
    private static int Number(JsPluginRequest req, string key) =>
        (int)double.Parse(req.Data[key]!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
}
