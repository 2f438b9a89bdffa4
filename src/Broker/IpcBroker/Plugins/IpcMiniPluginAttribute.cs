namespace IpcBroker.Plugins;

/// <summary>Marks a plugin that lives in mini program processes (the SDK's <c>@IpcMiniPlugin</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class IpcMiniPluginAttribute : Attribute
{
}
