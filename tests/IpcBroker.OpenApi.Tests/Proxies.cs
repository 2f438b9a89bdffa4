using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.MiniProcess.Samples;

namespace IpcBroker.OpenApi.Tests;

/// <summary>The sample proxy at a chosen level.</summary>
internal class LeveledProxy(ApiLevel level) : SampleOpenApiProxy
{
    public override ApiLevel DefaultApiLevel(MiniAppContext context) => level;
}

/// <summary>A host from before 2.1.0: its own login, in the SDK's callback form; it asks for V1 to keep it.</summary>
internal sealed class HostOwnLoginProxy(ApiLevel level) : LeveledProxy(level)
{
    public override void Login(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        result.OnReceiveResult(true, new JsonObject { ["code"] = "host-own-code" });
}

/// <summary>Level V3 with a host that hands out a forged auth code.</summary>
internal sealed class ForgedAuthProxy() : LeveledProxy(ApiLevel.V3)
{
    public override Task<string?> GetHostAuthCodeAsync(MiniAppContext context, CancellationToken cancellationToken) => Task.FromResult<string?>("forged");
}

/// <summary>Implementations that break the AsyncResult contract in each way.</summary>
internal sealed class MisbehavingProxy : MiniOpenApiProxy
{
    public override void GetUserInfo(MiniAppContext context, JsonObject parameters, AsyncResult result)
    {
        result.OnReceiveResult(true, new JsonObject { ["first"] = true });
        result.OnReceiveResult(true, new JsonObject { ["second"] = true });
    }

    public override void GetUserProfile(MiniAppContext context, JsonObject parameters, AsyncResult result)
    {
        // Never completes.
    }

    public override void RequestPayment(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        throw new InvalidOperationException("/secret/path exploded");
}

/// <summary>
/// The vendor sample's getUserInfo, ported as written: it answers right after starting the IPC call, before the main
/// process has answered, so the mini program gets an incomplete answer. Here to show the trap, not to copy.
/// </summary>
internal sealed class VendorSampleProxy : MiniOpenApiProxy
{
    public override void GetUserInfo(MiniAppContext context, JsonObject parameters, AsyncResult result)
    {
        var data = new JsonObject();
        _ = context.Main.CallMainProcessPluginAsync(WellKnownEvents.GetUserId, null).ContinueWith(t => data["userId"] = t.Result.Data.GetString("userId"), TaskScheduler.Default);
        result.OnReceiveResult(true, data);
    }
}
