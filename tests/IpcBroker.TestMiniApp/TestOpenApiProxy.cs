using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.MiniProcess.Samples;
using IpcBroker.OpenApi;

namespace IpcBroker.TestMiniApp;

/// <summary>The per-mini-program API level the tests choose (<see cref="TestEvents.SetApiLevel"/>).</summary>
public sealed class ApiLevelSetting
{
    public ApiLevel Level { get; set; } = ApiLevel.Undefined;
}

/// <summary>The sample proxy, at the level the test chose, with a host's own login (callback form) for level V1.</summary>
public sealed class TestOpenApiProxy(ApiLevelSetting setting) : SampleOpenApiProxy
{
    public override ApiLevel DefaultApiLevel(MiniAppContext context) => setting.Level;

    public override void Login(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        result.OnReceiveResult(true, new JsonObject { ["code"] = "host-own-code" });
}
