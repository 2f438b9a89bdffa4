namespace IpcBroker;

/// <summary>Event names that both sides know: the SDK's own, and the samples'.</summary>
public static class WellKnownEvents
{
    /// <summary>The SDK's main-process event that returns the logged-in user: <c>userId</c>, <c>nickName</c>, <c>avatarUrl</c>.</summary>
    public const string GetUserId = "OPEN_DATA_IPC_EVENT_GET_USER_ID";

    /// <summary>The sample mini-process event the host calls to ask a mini program about itself.</summary>
    public const string GetAppInfo = "MINI_EVENT_GET_APP_INFO";

    /// <summary>The mini-process event that makes a mini program call an open API: <c>api</c>, <c>params</c> (JSON) in, <c>result</c> (JSON) out.</summary>
    public const string InvokeOpenApi = "MINI_EVENT_INVOKE_OPEN_API";

    /// <summary>
    /// The sample main-process event the sample JS plugin (<c>demo.countdown</c>) calls: answers <c>greeting</c>, a
    /// greeting for the calling mini program's appId (taken from the session, not from the request).
    /// </summary>
    public const string SampleJsGreeting = "SAMPLE_JS_GREETING";
}
