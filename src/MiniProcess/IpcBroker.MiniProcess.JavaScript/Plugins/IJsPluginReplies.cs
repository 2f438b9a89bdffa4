namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Where a <see cref="JsPluginRequest"/> sends its states and its final answer: the mini program's pending call.</summary>
/// <remarks>
/// Called from any thread, but never concurrently for one request and never after <see cref="Final"/>: the request
/// serializes its calls, so the order of the calls is the order the mini program sees.
/// </remarks>
internal interface IJsPluginReplies
{
    /// <summary>Delivers an intermediate state.</summary>
    /// <param name="stateJson">The state object as JSON.</param>
    void State(string stateJson);

    /// <summary>Delivers the final answer.</summary>
    /// <param name="answer">The answer.</param>
    void Final(JsPluginAnswer answer);
}
