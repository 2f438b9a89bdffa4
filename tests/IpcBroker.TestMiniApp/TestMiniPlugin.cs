using IpcBroker.MiniProcess;
using IpcBroker.Plugins;

namespace IpcBroker.TestMiniApp;

/// <summary>Behaviours the end-to-end tests ask of a mini process.</summary>
[IpcMiniPlugin]
public sealed class TestMiniPlugin(ClientHolder holder) : IpcPlugin
{
    /// <summary>Answers with the request.</summary>
    [IpcEvent(TestEvents.Echo)]
    public Bundle Echo(IpcRequest request) => request.Data;

    /// <summary>Says who this process is and who called.</summary>
    [IpcEvent(TestEvents.WhoAmI)]
    public Bundle WhoAmI(IpcRequest request) => new Bundle()
        .PutInt("pid", Environment.ProcessId)
        .PutBoolean("isMiniProcess", MiniProcessClient.IsMiniProcess)
        .PutString("callerSide", request.Caller.Side.ToString())
        .PutInt("callerPid", request.Caller.ProcessId)
        .PutString("appId", request.Caller.AppId)
        .PutString("verType", request.Caller.VerType.ToString());

    /// <summary>Calls the main process with <c>event</c>, <c>data</c> and <c>timeoutMs</c>, and reports the outcome.</summary>
    [IpcEvent(TestEvents.CallMain)]
    public async Task<Bundle> CallMainAsync(IpcRequest request)
    {
        MiniProcessClient client = await holder.Client;
        int timeoutMs = request.Data.GetInt("timeoutMs");
        IpcResult result = await client.CallMainProcessPluginAsync(
            request.Data.GetString("event", string.Empty),
            request.Data.GetBundle("data"),
            new IpcCallOptions { Timeout = timeoutMs > 0 ? TimeSpan.FromMilliseconds(timeoutMs) : null });
        return new Bundle()
            .PutBoolean("ok", result.IsSuccess)
            .PutInt("errCode", (int)result.ErrorCode)
            .PutString("errMsg", result.ErrorMessage)
            .PutBundle("data", result.Data);
    }

    /// <summary>Never answers.</summary>
    [IpcEvent(TestEvents.Hang)]
    public void Hang(IpcRequest request)
    {
    }

    /// <summary>Ends the process at once with exit code <c>code</c>, without answering.</summary>
    [IpcEvent(TestEvents.Exit)]
    public void Exit(IpcRequest request) => Environment.Exit(request.Data.GetInt("code"));
}
