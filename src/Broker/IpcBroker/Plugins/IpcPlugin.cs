namespace IpcBroker.Plugins;

/// <summary>
/// Base class of a plugin (the SDK's <c>BaseIpcPlugin</c>): a class marked <see cref="IpcMainPluginAttribute"/> or
/// <see cref="IpcMiniPluginAttribute"/> whose handler methods carry <see cref="IpcEventAttribute"/>.
/// </summary>
/// <remarks>
/// A handler method takes one <see cref="IpcRequest"/> and returns one of: <c>void</c> or <see cref="Task"/> (answer
/// through <see cref="IpcRequest.Ok"/> / <see cref="IpcRequest.Fail(string)"/>, now or later), or <see cref="Bundle"/> /
/// <c>Task&lt;Bundle&gt;</c> (the returned bundle is the answer). Handlers of one plugin may run concurrently.
/// </remarks>
public abstract class IpcPlugin
{
}
