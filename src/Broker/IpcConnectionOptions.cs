namespace IpcBroker;

/// <summary>Settings of one connection between the main process and a mini process; both sides use the same type.</summary>
public sealed record IpcConnectionOptions
{
    /// <summary>The options used when none are given.</summary>
    public static IpcConnectionOptions Default { get; } = new();

    /// <summary>Gets the deadline of a call that names none, per call or per event: 25 s.</summary>
    public TimeSpan DefaultCallTimeout { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Gets deadlines per event name for calls this side makes; a per-call timeout still wins.</summary>
    public IReadOnlyDictionary<string, TimeSpan> EventTimeouts { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>
    /// Gets the longest deadline this side grants an incoming call, whatever the caller asks for (10 min), so a peer
    /// cannot pin a handler's resources forever.
    /// </summary>
    public TimeSpan MaxCallTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets the limits on bundles sent and received.</summary>
    public BundleLimits Limits { get; init; } = BundleLimits.Default;

    /// <summary>
    /// Gets the largest frame this side reads; a frame declaring more closes the connection before its body is read.
    /// Null (the default) allows the largest bundle plus 64 KiB for the envelope.
    /// </summary>
    public int? MaxMessageBytes { get; init; }

    /// <summary>Gets the frame cap in force.</summary>
    internal int EffectiveMaxMessageBytes => this.MaxMessageBytes ?? checked(this.Limits.MaxBytes + (64 * 1024));

    /// <summary>Gets the deadline for a call this side makes.</summary>
    /// <param name="eventId">The event.</param>
    /// <param name="perCall">The call's own timeout, if any.</param>
    /// <returns>The deadline.</returns>
    internal TimeSpan TimeoutFor(string eventId, TimeSpan? perCall) =>
        perCall ?? (this.EventTimeouts.TryGetValue(eventId, out TimeSpan perEvent) ? perEvent : this.DefaultCallTimeout);
}
