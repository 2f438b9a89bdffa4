namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The final answer of a custom API call, written as text where it was given so that the handler may reuse its objects.</summary>
/// <param name="IsOk">Whether it succeeded.</param>
/// <param name="ResultJson">The result object as JSON (success), or null for none.</param>
/// <param name="Message">Why it failed (failure), or null.</param>
/// <param name="Errno">The error number (failure).</param>
/// <param name="Sync">Whether it was given with <see cref="JsPluginRequest.OkSync"/>.</param>
internal sealed record JsPluginAnswer(bool IsOk, string? ResultJson, string? Message, int Errno, bool Sync);
