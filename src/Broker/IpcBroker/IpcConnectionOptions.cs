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
    /// Gets the longest deadline this side grants an incoming call, whatever the caller asks for, and the longest this
    /// side's own calls may ask for (60 s): a peer cannot pin a handler's resources for long. An event registered with
    /// its own timeout (<see cref="Plugins.IpcEventAttribute.TimeoutMilliseconds"/>) may grant more, and a call this
    /// side makes may ask up to its event's entry in <see cref="EventTimeouts"/> when that is more.
    /// </summary>
    public TimeSpan MaxCallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets how many calls from the peer this side handles at once (64); one more is answered at once with
    /// <see cref="IpcErrorCode.Busy"/>, never queued, so a peer cannot make this process hold unbounded work. 64 is
    /// the protocol's default cap: far more than a mini program needs at once, few enough that 64 answers of the largest
    /// bundle stay within memory.
    /// </summary>
    public int MaxConcurrentIncomingCalls { get; init; } = 64;

    /// <summary>
    /// Gets how many calls this side lets be in flight to the peer at once (64, the protocol's default cap, which the
    /// peer is assumed to use as its <see cref="MaxConcurrentIncomingCalls"/>); later calls wait in a local FIFO, within
    /// their own deadline, so that a well-behaved peer never answers <see cref="IpcErrorCode.Busy"/>.
    /// </summary>
    public int PeerMaxConcurrentCalls { get; init; } = 64;

    /// <summary>
    /// Gets how many bytes of encoded requests and answers this side lets be queued for the peer at once (34 MiB); past
    /// it a new call fails at once with <see cref="IpcErrorCode.LimitsExceeded"/>, so a peer that stops reading cannot
    /// make this process buffer without bound, and nothing here waits on it. Two of the largest bundles
    /// (<see cref="BundleLimits.MaxBytes"/>, 16 MiB plus 64 KiB) fit.
    /// </summary>
    public long MaxQueuedOutgoingBytes { get; init; } = 34L * 1024 * 1024;

    /// <summary>
    /// Gets how long a write to the transport may stay pending before the connection is closed because the other
    /// process stopped reading (30 s): long enough for a process paused by a debugger or a busy machine's scheduler
    /// to catch up, short enough that a stopped one is let go well before anyone notices a leak.
    /// </summary>
    public TimeSpan StalledWriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets how many warnings about refused incoming calls one connection writes per second (10); the rest are counted
    /// and summarised in one line, so a hostile peer cannot flood the log.
    /// </summary>
    public int MaxRefusalWarningsPerSecond { get; init; } = 10;

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
    /// Gets how long a payload channel that a message named may go without a byte before it completes (30 s); a longer
    /// silence closes the connection (<see cref="ProtocolViolation.PayloadChannelStalled"/>). A sender writes the whole
    /// payload as soon as it names the channel and the receiver reads as it arrives, so only a sender that left the channel
    /// hanging is silent that long; without this, each such call would hold a handling slot until its deadline.
    /// </summary>
    public TimeSpan PayloadChannelIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

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

    /// <summary>
    /// Gets who decides whether the peer may call each event on this side (null, the default: every call is let through
    /// to its handler, or to <see cref="IpcErrorCode.NoHandler"/>). A refused call is answered
    /// <see cref="IpcErrorCode.Denied"/> before its payload is accepted, logged (rate-limited, with the other refusals) and
    /// counted in <c>ipc.calls_denied</c>. A host sets one per connection from its policy.
    /// </summary>
    public IIpcCallAuthorizer? CallAuthorizer { get; init; }

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

    /// <summary>Gets the longest deadline a call this side makes to <paramref name="eventId"/> may ask for.</summary>
    /// <param name="eventId">The event.</param>
    /// <returns><see cref="MaxCallTimeout"/>, or the event's own entry in <see cref="EventTimeouts"/> when that is more.</returns>
    internal TimeSpan MaxTimeoutFor(string eventId) =>
        this.EventTimeouts.TryGetValue(eventId, out TimeSpan perEvent) && perEvent > this.MaxCallTimeout ? perEvent : this.MaxCallTimeout;
}
