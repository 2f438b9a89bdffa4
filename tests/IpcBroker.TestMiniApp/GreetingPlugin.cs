using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.JavaScript;

namespace IpcBroker.TestMiniApp;

// The README's JS plugin ("Mini programs in JavaScript"); the README quotes the part between the markers, and
// ReadmeJavaScriptExampleTests checks that it does, word for word.
// <readme>
[JsPlugin]
public sealed class GreetingPlugin
{
    [JsEvent("greeting.countdown")]
    public async Task CountdownAsync(JsPluginRequest req)
    {
        for (int left = req.Data["from"]?.GetValue<int>() ?? 3; left > 0; left--)
        {
            req.SendState(new JsonObject { ["left"] = left });          // the mini program's onState, as it happens
            await Task.Delay(100, req.CancellationToken);
        }

        IpcResult hello = await req.App.Main.CallMainProcessPluginAsync(  // callMainProcessPlugin
            "greeting.hello", new Bundle().PutString("name", req.Data["name"]?.GetValue<string>()));
        if (hello.IsSuccess)
        {
            req.Ok(new JsonObject { ["text"] = hello.Data.GetString("text") });   // success(res): res.text
        }
        else
        {
            req.Fail(hello.ErrorMessage);                                  // fail(err): err.errMsg, err.errno
        }
    }
}
// </readme>
