namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Marks a method of a <see cref="JsPluginAttribute"/> class as the handler of one or more custom APIs (the SDK's
/// <c>@JsEvent</c>). Its signature is <c>void M(JsPluginRequest)</c>, <c>Task M(JsPluginRequest)</c> or
/// <c>JsSyncAnswer M(JsPluginRequest)</c>.
/// </summary>
/// <param name="names">The <c>api_name</c>s it serves.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class JsEventAttribute(params string[] names) : Attribute
{
    /// <summary>Gets the <c>api_name</c>s the method serves.</summary>
    public IReadOnlyList<string> Names { get; } = names;
}
