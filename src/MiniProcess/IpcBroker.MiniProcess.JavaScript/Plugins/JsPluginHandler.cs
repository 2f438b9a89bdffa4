namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>One <see cref="JsEventAttribute"/> method bound to its plugin instance.</summary>
/// <param name="Method">The method's name, <c>Type.Method</c>, for messages.</param>
/// <param name="IsAsync">Whether it returns a task, whose end without an answer fails the call.</param>
/// <param name="Invoke">Runs it; returns its task for an async handler, else a completed task.</param>
internal sealed record JsPluginHandler(string Method, bool IsAsync, Func<JsPluginRequest, Task> Invoke);
