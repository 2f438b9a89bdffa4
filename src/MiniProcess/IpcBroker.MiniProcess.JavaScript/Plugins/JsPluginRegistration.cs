namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>A JS plugin type registered with <c>AddJsPlugin&lt;T&gt;()</c>; the registry finds its handlers when the runtime starts.</summary>
/// <param name="PluginType">The plugin's type, registered as a singleton.</param>
internal sealed record JsPluginRegistration(Type PluginType);
