using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;

namespace IpcBroker.MainProcess.Demo;

/// <summary>
/// The sample main-side plugin: answers <see cref="WellKnownEvents.GetUserId"/> with the user signed in to the host, as the
/// SDK's documentation shows. It lives in the main process because only the main process holds the user's data.
/// </summary>
/// <param name="transcript">Where each call is reported.</param>
/// <param name="account">Who is signed in, and their profile.</param>
[IpcMainPlugin]
public sealed class UserDataPlugin(DemoTranscript transcript, MiniAppProxy account)
{
    /// <summary>Answers with <c>userId</c>, <c>nickName</c> and <c>avatarUrl</c>, or Denied when nobody is signed in.</summary>
    /// <param name="request">The mini program's request; its caller is set by the broker from the session.</param>
    [IpcEvent(WellKnownEvents.GetUserId, Description = "The logged-in user: userId, nickName, avatarUrl")]
    public void GetUserId(IpcRequest request)
    {
        transcript.Line($"main  <- {request.Caller.AppId} ({request.Caller.VerType}, pid {request.Caller.ProcessId}) calls {request.EventId}");
        if (account.GetAccount() is not { } userId)
        {
            request.Fail(IpcErrorCode.Denied, "No user is signed in to the host app.");
            return;
        }

        request.Ok(new Bundle()
            .PutString("userId", userId)
            .PutString("nickName", account.GetUserProfile(userId)?.NickName)
            .PutString("avatarUrl", $"https://example.invalid/avatar/{userId}.png"));
    }
}
