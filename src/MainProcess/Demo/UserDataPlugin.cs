using IpcBroker.Plugins;

namespace IpcBroker.MainProcess.Demo;

/// <summary>
/// The sample main-side plugin: answers <see cref="WellKnownEvents.GetUserId"/> with the logged-in user, as the SDK's
/// documentation shows. It lives in the main process because only the main process holds the user's data.
/// </summary>
/// <param name="transcript">Where each call is reported.</param>
[IpcMainPlugin]
public sealed class UserDataPlugin(DemoTranscript transcript) : IpcPlugin
{
    /// <summary>Answers with <c>userId</c>, <c>nickName</c> and <c>avatarUrl</c>.</summary>
    /// <param name="request">The mini program's request; its caller is set by the broker from the session.</param>
    /// <returns>The user.</returns>
    [IpcEvent(WellKnownEvents.GetUserId, Description = "The logged-in user: userId, nickName, avatarUrl")]
    public Bundle GetUserId(IpcRequest request)
    {
        transcript.Line($"main  <- {request.Caller.AppId} ({request.Caller.VerType}, pid {request.Caller.ProcessId}) calls {request.EventId}");
        return new Bundle()
            .PutString("userId", "u-1001")
            .PutString("nickName", "Ada")
            .PutString("avatarUrl", "https://example.invalid/avatar/u-1001.png");
    }
}
