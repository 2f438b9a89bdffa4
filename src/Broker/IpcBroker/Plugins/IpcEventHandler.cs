namespace IpcBroker.Plugins;

/// <summary>One registered event: its name, its deadline, and how to start its handler.</summary>
/// <param name="EventId">The event name.</param>
/// <param name="Invoke">
/// Starts the handler. It answers through the request, now or later; the returned task tells only that the
/// method itself has returned, and a fault in it becomes <see cref="IpcErrorCode.HandlerFailed"/>.
/// </param>
/// <param name="Timeout">The event's own deadline, or null.</param>
/// <param name="Description">A one-line description, or null.</param>
/// <param name="Source">Where the handler came from (type and method), for error messages.</param>
public sealed record IpcEventHandler(string EventId, Func<IpcRequest, Task> Invoke, TimeSpan? Timeout, string? Description, string Source);
