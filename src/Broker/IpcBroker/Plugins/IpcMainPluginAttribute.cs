namespace IpcBroker.Plugins;

/// <summary>Marks a plugin that lives in the main process (the SDK's <c>@IpcMainPlugin</c>).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class IpcMainPluginAttribute : Attribute
{
}
