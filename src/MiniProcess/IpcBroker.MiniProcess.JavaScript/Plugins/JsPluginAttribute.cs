namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Marks a class whose <see cref="JsEventAttribute"/> methods serve custom APIs a JavaScript mini program calls with
/// <c>wx.invokeNativePlugin({api_name, ...})</c> (the SDK's <c>@JsPlugin</c>). Register it with <c>AddJsPlugin&lt;T&gt;()</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class JsPluginAttribute : Attribute;
