using IpcBroker.Plugins;

namespace IpcBroker.MiniProcess.Samples;

/// <summary>
/// The sample mini-side plugin: answers the host's <see cref="WellKnownEvents.GetAppInfo"/> with who this mini program is
/// and what its launch call to the main process returned. It answers only once that call has completed, so the host
/// never gets a half-filled answer (the trap in the vendor's <c>getUserInfo</c> sample).
/// </summary>
/// <param name="launch">The launch call's outcome.</param>
[IpcMiniPlugin]
public sealed class AppInfoPlugin(LaunchState launch)
{
    /// <summary>Answers <see cref="WellKnownEvents.GetAppInfo"/>.</summary>
    /// <param name="request">The host's request.</param>
    /// <returns>appId, verType, pid, and the user the main process reported at launch with that call's time in microseconds.</returns>
    [IpcEvent(WellKnownEvents.GetAppInfo, Description = "Who this mini program is and what it learned at launch")]
    public async Task<Bundle> GetAppInfoAsync(IpcRequest request)
    {
        (IpcResult user, TimeSpan elapsed) = await launch.UserCall.WaitAsync(request.CancellationToken).ConfigureAwait(false);
        return new Bundle()
            .PutString("appId", request.Caller.AppId)
            .PutString("verType", request.Caller.VerType.ToString())
            .PutInt("pid", Environment.ProcessId)
            .PutBoolean("userOk", user.IsSuccess)
            .PutString("userId", user.Data.GetString("userId"))
            .PutString("nickName", user.Data.GetString("nickName"))
            .PutString("userError", user.ErrorMessage)
            .PutLong("userCallMicros", (long)elapsed.TotalMicroseconds);
    }
}
