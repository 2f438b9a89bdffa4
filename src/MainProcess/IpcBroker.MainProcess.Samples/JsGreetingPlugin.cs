using IpcBroker.Plugins;

namespace IpcBroker.MainProcess.Demo;

/// <summary>
/// The sample main-side plugin the sample JS plugin calls (JavaScript → <c>demo.countdown</c> → this → back): answers
/// <see cref="WellKnownEvents.SampleJsGreeting"/> with a greeting for the caller's appId.
/// </summary>
/// <param name="transcript">Where each call is reported.</param>
[IpcMainPlugin]
public sealed class JsGreetingPlugin(DemoTranscript transcript)
{
    /// <summary>Answers <c>greeting</c>, addressed to the calling mini program (its appId comes from the session).</summary>
    /// <param name="request">The mini program's request.</param>
    /// <returns><c>greeting</c>.</returns>
    [IpcEvent(WellKnownEvents.SampleJsGreeting, Description = "A greeting for the calling mini program: greeting")]
    public Bundle Greet(IpcRequest request)
    {
        transcript.Line($"main  <- {request.Caller.AppId} (pid {request.Caller.ProcessId}) calls {request.EventId}");
        return new Bundle().PutString("greeting", $"Hello, {request.Caller.AppId}, from the main process!");
    }
}
