namespace IpcBroker.Plugins;

/// <summary>Marks a plugin that lives in the main process (the SDK's <c>@IpcMainPlugin</c>).</summary>
/// <remarks>
/// <para>This attribute is the plugin's one mark (no base class is needed): a class carrying it, with handler methods
/// marked <see cref="IpcEventAttribute"/>, is registered with <see cref="IpcEventRegistry.Register(object)"/> or
/// <see cref="IpcPluginServiceCollectionExtensions.AddIpcPlugin{TPlugin}(Microsoft.Extensions.DependencyInjection.IServiceCollection)"/>
/// on the main side only; a class with no side attribute, both, or the other side's is refused there with an
/// <see cref="IpcConfigurationException"/> naming it.</para>
/// <para>A handler method takes one <see cref="IpcRequest"/> and returns one of: <c>void</c> or <see cref="Task"/> (answer
/// through <see cref="IpcRequest.Ok"/> / <see cref="IpcRequest.Fail(string)"/>, now or later), or <see cref="Bundle"/> /
/// <c>Task&lt;Bundle&gt;</c> (the returned bundle is the answer). Handlers of one plugin may run concurrently.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class IpcMainPluginAttribute : Attribute
{
}
