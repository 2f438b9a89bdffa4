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
    /// Gets the largest encoded bundle sent inside the JSON-RPC message itself (64 KiB). A larger one travels on a
    /// multiplexed channel of its own, so that it never holds up the small calls behind it.
    /// </summary>
    public int InlinePayloadLimit { get; init; } = 64 * 1024;

    /// <summary>
    /// Gets the largest JSON-RPC frame this side reads; a frame declaring more closes the connection before its body is
    /// read. Null (the default) means 1 MiB, or the inline payload limit plus 64 KiB if that is more.
    /// </summary>
    public int? MaxMessageBytes { get; init; }

    /// <summary>
    /// Gets how many payload channels the other side may have offered and not yet named in a message (1024); one more
    /// closes the connection (<see cref="ProtocolViolation.TooManyUnclaimedChannels"/>), so a peer cannot pile up
    /// channels. Large because a burst of legitimate large calls offers its channels before the calls are read; each
    /// unclaimed channel can hold at most <see cref="IpcConnection.UnclaimedChannelWindow"/> bytes, so what a peer can
    /// leave unclaimed is bounded by this count times that window (60 MiB by default).
    /// </summary>
    public int MaxUnclaimedChannels { get; init; } = 1024;

    /// <summary>
    /// Gets how long a payload channel the other side offered may stay unnamed by any message (30 s); an older one
    /// closes the connection (<see cref="ProtocolViolation.UnclaimedChannelExpired"/>). An offer the other side closes
    /// again (its call was cancelled before it was sent) is forgotten.
    /// </summary>
    public TimeSpan UnclaimedChannelTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets how long the body of a JSON-RPC frame may take to arrive after its length header (10 s); a slower one closes
    /// the connection (<see cref="ProtocolViolation.FrameTimeout"/>), so a peer cannot pin a frame buffer by trickling.
    /// </summary>
    public TimeSpan FrameReadTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets how many payload bytes this side buffers at once for calls and answers arriving from the other side on
    /// payload channels (64 MiB). Bytes are charged as they arrive; a transfer that would go over is refused with
    /// <see cref="IpcErrorCode.LimitsExceeded"/> and its channel discarded, and the connection stays open.
    /// </summary>
    public long MaxIncomingPayloadBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Gets a budget shared with other connections, charged together with <see cref="MaxIncomingPayloadBytes"/>
    /// (null, the default: none). A host gives every connection the same one to bound what all peers together can make
    /// it buffer.
    /// </summary>
    public PayloadBudget? SharedPayloadBudget { get; init; }

    /// <summary>Gets an observer told of every call this connection completes, both ways; null for none.</summary>
    public Diagnostics.IIpcCallObserver? Observer { get; init; }

    /// <summary>Gets the frame cap in force.</summary>
    internal int EffectiveMaxMessageBytes => this.MaxMessageBytes ?? Math.Max(1024 * 1024, this.InlinePayloadLimit + (64 * 1024));

    /// <summary>Gets the deadline for a call this side makes.</summary>
    /// <param name="eventId">The event.</param>
    /// <param name="perCall">The call's own timeout, if any.</param>
    /// <returns>The deadline.</returns>
    internal TimeSpan TimeoutFor(string eventId, TimeSpan? perCall) =>
        perCall ?? (this.EventTimeouts.TryGetValue(eventId, out TimeSpan perEvent) ? perEvent : this.DefaultCallTimeout);
}
