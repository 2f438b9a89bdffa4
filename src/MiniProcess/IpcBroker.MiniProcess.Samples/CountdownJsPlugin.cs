using System.Text.Json;
using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.Samples;

/// <summary>
/// The sample JS plugin: <c>demo.countdown</c> sends the states <c>{left: 3}</c>, <c>{left: 2}</c>, <c>{left: 1}</c>,
/// then asks the main process for a greeting (<see cref="WellKnownEvents.SampleJsGreeting"/>) and answers with it — the
/// chain JavaScript → JS plugin → <c>callMainProcessPlugin</c> → main plugin → back. <c>demo.appId</c> answers
/// synchronously with the mini program's appId.
/// </summary>
[JsPlugin]
public sealed class CountdownJsPlugin
{
    /// <summary>The countdown's <c>api_name</c>.</summary>
    public const string Countdown = "demo.countdown";

    /// <summary>The synchronous sample's <c>api_name</c>.</summary>
    public const string AppId = "demo.appId";

    /// <summary>Counts down from <c>data.from</c> (3 by default, 1 to 10) in states, then answers <c>{greeting, appId}</c>.</summary>
    /// <param name="request">The call.</param>
    /// <returns>A task that ends once the call is answered.</returns>
    [JsEvent(Countdown)]
    public async Task CountdownAsync(JsPluginRequest request)
    {
        int from = 3;
        if (request.Data["from"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            from = Math.Clamp((int)value.GetValue<double>(), 1, 10);
        }

        for (int left = from; left > 0; left--)
        {
            request.SendState(new JsonObject { ["left"] = left });
        }

        IpcResult greeting = await request.App.Main.CallMainProcessPluginAsync(WellKnownEvents.SampleJsGreeting, null, cancellationToken: request.CancellationToken).ConfigureAwait(false);
        if (!greeting.IsSuccess)
        {
            request.Fail($"The main process did not answer the greeting ({greeting.ErrorCode}): {greeting.ErrorMessage}", OpenApiErrno.HostUnavailable);
            return;
        }

        request.Ok(new JsonObject { ["greeting"] = greeting.Data.GetString("greeting"), ["appId"] = request.App.AppId });
    }

    /// <summary>Answers <c>{appId}</c> synchronously: <c>wx.invokeNativePlugin</c> returns it at once.</summary>
    /// <param name="request">The call.</param>
    /// <returns>The synchronous answer.</returns>
    [JsEvent(AppId)]
    public JsSyncAnswer GetAppId(JsPluginRequest request) => request.OkSync(new JsonObject { ["appId"] = request.App.AppId });
}
