namespace IpcBroker.Plugins;

/// <summary>Marks a plugin method as the handler of an event (the SDK's <c>@IpcEvent("NAME")</c>).</summary>
/// <param name="eventId">The event name.</param>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class IpcEventAttribute(string eventId) : Attribute
{
    /// <summary>Gets the event name.</summary>
    public string EventId { get; } = eventId;

    /// <summary>
    /// Gets or sets this event's deadline in milliseconds, enforced on the handler's side; 0 (the default) leaves the
    /// caller's deadline alone. The caller's own, shorter deadline still wins.
    /// </summary>
    public int TimeoutMilliseconds { get; set; }

    /// <summary>Gets or sets a one-line description, for tools that list events.</summary>
    public string? Description { get; set; }
}
