namespace IpcBroker.Governance;

/// <summary>
/// What one connection lets the peer have of this process, and what this side lets itself queue for the peer: calls
/// being handled at once (incoming cap), calls in flight to the peer (the peer's cap, kept by a local FIFO), and bytes
/// queued to the peer (outgoing bound).
/// </summary>
/// <remarks>
/// <para>Thread-safety: every member may be called from any thread; counts are kept with interlocked operations.</para>
/// <para>Charge before spending: a call is counted before its handler is started, and an outgoing request's bytes are
/// charged before it is queued, so that a refusal costs nothing but the refusal.</para>
/// </remarks>
internal sealed class ConnectionGovernor
{
    private readonly IpcConnectionOptions options;

    /// <summary>
    /// Calls in flight to the peer. Async waiters of a <see cref="SemaphoreSlim"/> are released in the order they
    /// started waiting, so calls beyond the peer's cap are sent in the order they were made. Never disposed: it has no
    /// wait handle unless one is asked for.
    /// </summary>
    private readonly SemaphoreSlim outgoingSlots;

    private int incoming;
    private long queuedBytes;

    /// <summary>Initializes a new instance of the <see cref="ConnectionGovernor"/> class.</summary>
    /// <param name="options">The connection's settings.</param>
    public ConnectionGovernor(IpcConnectionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentIncomingCalls, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PeerMaxConcurrentCalls, 1, nameof(options));
        this.options = options;
        this.outgoingSlots = new SemaphoreSlim(options.PeerMaxConcurrentCalls, options.PeerMaxConcurrentCalls);
    }

    /// <summary>Gets the bytes now charged to the outgoing queue.</summary>
    public long QueuedBytes => Interlocked.Read(ref this.queuedBytes);

    /// <summary>Counts an incoming call, unless the peer already has the cap's worth being handled.</summary>
    /// <returns><see langword="false"/> when the call must be answered with <see cref="IpcErrorCode.Busy"/>; nothing was counted then.</returns>
    public bool TryEnterIncoming()
    {
        if (Interlocked.Increment(ref this.incoming) <= this.options.MaxConcurrentIncomingCalls)
        {
            return true;
        }

        Interlocked.Decrement(ref this.incoming);
        return false;
    }

    /// <summary>Ends an incoming call counted by <see cref="TryEnterIncoming"/>.</summary>
    public void ExitIncoming() => Interlocked.Decrement(ref this.incoming);

    /// <summary>Waits, in FIFO order, until fewer than the peer's cap of this side's calls are in flight to the peer.</summary>
    /// <param name="cancellationToken">The call's deadline, cancellation and the connection's closing.</param>
    /// <returns>A task that completes when the slot is taken; then <see cref="ExitOutgoing"/> must follow exactly once.</returns>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> fires first; no slot was taken.</exception>
    public Task EnterOutgoingAsync(CancellationToken cancellationToken) => this.outgoingSlots.WaitAsync(cancellationToken);

    /// <summary>Gives back a slot taken by <see cref="EnterOutgoingAsync"/>.</summary>
    public void ExitOutgoing() => this.outgoingSlots.Release();

    /// <summary>Charges <paramref name="bytes"/> to the outgoing queue unless that would take it past its bound.</summary>
    /// <param name="bytes">The encoded size about to be queued.</param>
    /// <returns><see langword="false"/> when the bound would be passed; nothing was charged then.</returns>
    public bool TryChargeOutgoing(long bytes)
    {
        long current = Interlocked.Read(ref this.queuedBytes);
        while (true)
        {
            if (current + bytes > this.options.MaxQueuedOutgoingBytes)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref this.queuedBytes, current + bytes, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Charges <paramref name="bytes"/> whatever the bound (an answer whose work is already done).</summary>
    /// <param name="bytes">The encoded size about to be queued.</param>
    public void ChargeOutgoing(long bytes) => Interlocked.Add(ref this.queuedBytes, bytes);

    /// <summary>Gives back bytes charged by <see cref="TryChargeOutgoing"/> or <see cref="ChargeOutgoing"/>.</summary>
    /// <param name="bytes">The same number that was charged.</param>
    public void RefundOutgoing(long bytes) => Interlocked.Add(ref this.queuedBytes, -bytes);
}
