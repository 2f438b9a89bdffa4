using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using Nerdbank.Streams;

namespace IpcBroker.Protocol;

/// <summary>
/// Moves encoded bundles between the two sides: small ones inline in the JSON-RPC message, large ones on an anonymous
/// multiplexed channel of their own, so that a large transfer shares the pipe frame by frame with everything else
/// instead of holding up the calls queued behind it on the RPC channel.
/// </summary>
/// <remarks>
/// <para>The sender creates the channel (which offers it to the peer at once), names its id in the call or reply, writes
/// the bytes and completes its output. A channel whose message is never sent (the call was cancelled while waiting to
/// be written) is closed again by <see cref="Abandon"/>, which withdraws the offer. The receiver accepts the channel by
/// that id, reads until the sender completes — never more than <see cref="BundleLimits.MaxBytes"/> — then completes its
/// own output, which lets both ends' channel complete.</para>
/// <para>Receiving charges every byte as it arrives, before it is buffered, to this connection's
/// <see cref="IpcConnectionOptions.MaxIncomingPayloadBytes"/> and to the shared
/// <see cref="IpcConnectionOptions.SharedPayloadBudget"/>; a transfer that does not fit is refused
/// (<see cref="BundleLimitExceededException"/>) and its channel discarded unread. Nothing is reserved before a byte
/// arrives, and everything charged is released when the transfer ends, however it ends.</para>
/// <para>Offers from the peer are tracked until a message names them: more than
/// <see cref="IpcConnectionOptions.MaxUnclaimedChannels"/> at once, or one older than
/// <see cref="IpcConnectionOptions.UnclaimedChannelTimeout"/>, is a protocol violation. An offer the peer withdraws is
/// forgotten when <see cref="Sweep"/> finds it gone.</para>
/// <para>Thread-safety: every member may be called from any thread.</para>
/// </remarks>
internal sealed class PayloadTransfer(MultiplexingStream multiplexor, IpcConnectionOptions options, OutboundProgress progress, CancellationToken connectionClosing)
{
    /// <summary>How much of a payload is handed to the channel at a time, so that each step's progress can be watched.</summary>
    private const int WriteChunkBytes = 64 * 1024;

    /// <summary>
    /// The smallest segment a received payload is gathered in (pooled) once its sender has been charged at least this much,
    /// so that 16 MiB take 256 rented arrays, not thousands; before that, segments grow with what arrived.
    /// </summary>
    private const int ReceiveSegmentBytes = 64 * 1024;

    /// <summary>Offers from the peer not yet named by a message: channel id → when offered (Stopwatch timestamp).</summary>
    private readonly ConcurrentDictionary<ulong, long> unclaimed = new();

    /// <summary>Channels this side created whose id no written message has named yet.</summary>
    private readonly ConcurrentDictionary<ulong, MultiplexingStream.Channel> unnamed = new();

    private readonly PayloadBudget connectionBudget = new(options.MaxIncomingPayloadBytes);
    private int receiving;

    /// <summary>Gets the payload bytes this connection holds now for transfers being received.</summary>
    internal long BytesHeld => this.connectionBudget.Used;

    /// <summary>Gets how many transfers are being received now.</summary>
    internal int Receiving => Volatile.Read(ref this.receiving);

    /// <summary>Gets how many offers from the peer no message has named yet.</summary>
    internal int Unclaimed => this.unclaimed.Count;

    /// <summary>Records an offer from the peer.</summary>
    /// <param name="channelId">The offered channel.</param>
    /// <returns><see langword="false"/> when the peer has exceeded <see cref="IpcConnectionOptions.MaxUnclaimedChannels"/>.</returns>
    public bool OnOffered(ulong channelId)
    {
        this.unclaimed[channelId] = Stopwatch.GetTimestamp();
        return this.unclaimed.Count <= options.MaxUnclaimedChannels;
    }

    /// <summary>
    /// Looks for offers older than <see cref="IpcConnectionOptions.UnclaimedChannelTimeout"/>: one the peer has
    /// withdrawn is forgotten; one still open is closed and reported.
    /// </summary>
    /// <returns>The id of an offer still open past its age, or null.</returns>
    public ulong? Sweep()
    {
        foreach ((ulong id, long offered) in this.unclaimed)
        {
            if (Stopwatch.GetElapsedTime(offered) < options.UnclaimedChannelTimeout || !this.unclaimed.TryRemove(id, out _))
            {
                continue;
            }

            // Accepting is the only way to ask the multiplexer whether the offer still stands; the peer is cut off if
            // it does, so taking it from a message that might still come costs nothing.
            try
            {
                multiplexor.AcceptChannel(id).Dispose();
                return id;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (InvalidOperationException)
            {
                // Withdrawn by the peer (its call was never sent): forget it.
            }
        }

        return null;
    }

    /// <summary>Sends <paramref name="payload"/> inline or starts sending it on a new channel.</summary>
    /// <param name="payload">The encoded bundle.</param>
    /// <param name="lifetime">How long the transfer may take at most.</param>
    /// <param name="written">Called once when a payload sent on a channel is no longer held (written, refused or given up), never for an inline one.</param>
    /// <returns>What to put in the message: the inline bytes, or the channel id.</returns>
    public (byte[]? Inline, ulong Channel) Send(byte[] payload, TimeSpan lifetime, Action? written = null)
    {
        if (payload.Length <= options.InlinePayloadLimit)
        {
            return (payload, 0);
        }

        MultiplexingStream.Channel channel = multiplexor.CreateChannel();
        this.unnamed[channel.QualifiedId.Id] = channel;
        _ = this.WriteAsync(channel, payload, lifetime, written);
        return (null, channel.QualifiedId.Id);
    }

    /// <summary>Gets whether <paramref name="payload"/> would travel on a channel of its own.</summary>
    /// <param name="payload">The encoded bundle.</param>
    /// <returns><see langword="true"/> when it is larger than the inline limit.</returns>
    public bool GoesOnChannel(byte[] payload) => payload.Length > options.InlinePayloadLimit;

    /// <summary>Notes that a written message names <paramref name="channelId"/>, one of this side's channels.</summary>
    /// <param name="channelId">The channel id.</param>
    public void OnNamed(ulong channelId) => this.unnamed.TryRemove(channelId, out _);

    /// <summary>
    /// Closes <paramref name="channelId"/> if no written message has named it: its call ended before it was sent, and
    /// the peer must not be left holding an offer nothing will ever claim.
    /// </summary>
    /// <param name="channelId">The channel id, or 0.</param>
    public void Abandon(ulong channelId)
    {
        if (channelId != 0 && this.unnamed.TryRemove(channelId, out MultiplexingStream.Channel? channel))
        {
            channel.Dispose();
        }
    }

    /// <summary>Gets and decodes the bundle a message names: from its inline bytes, or from all that arrives on its channel.</summary>
    /// <param name="inline">The inline bytes, if any.</param>
    /// <param name="channelId">The channel id, or 0.</param>
    /// <param name="cancellationToken">Bounds the wait.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="BundleLimitExceededException">When more than <see cref="BundleLimits.MaxBytes"/> arrive, the
    /// bytes arriving do not fit this connection's or the shared payload budget, or the bundle breaks a limit.</exception>
    /// <exception cref="FormatException">When the message names a channel the peer has not offered, or the bytes are not a bundle.</exception>
    /// <exception cref="ProtocolViolationException">When the channel goes silent, incomplete, for the idle timeout.</exception>
    public async Task<Bundle> ReceiveBundleAsync(byte[]? inline, ulong channelId, CancellationToken cancellationToken)
    {
        if (channelId == 0)
        {
            return BundleCodec.Decode(inline ?? [], options.Limits);
        }

        // Decoded straight from the pooled segments the bytes arrived in, while they are still charged: the only copy of
        // a large byte array after the channel's own is the one into the array the bundle hands out.
        return await this.ReceiveAsync(channelId, static (bytes, limits) => BundleCodec.Decode(bytes, limits), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes the buffer a received payload is gathered in, renting from <paramref name="pool"/>.</summary>
    /// <param name="pool">Where its segments are rented (a seam for the tests).</param>
    /// <returns>
    /// An empty buffer: a channel that sends nothing costs nothing. Its segments start small and grow with its length
    /// (the sequence's own doubling), so that what it rents follows what the sender was charged.
    /// </returns>
    internal static Sequence<byte> NewReceiveBuffer(ArrayPool<byte> pool) => new(pool) { AutoIncreaseMinimumSpanLength = true };

    /// <summary>Copies <paramref name="arrived"/> to the end of <paramref name="buffer"/>, in pooled segments that grow with what was charged.</summary>
    /// <param name="buffer">The buffer made by <see cref="NewReceiveBuffer"/>.</param>
    /// <param name="arrived">The bytes that arrived, already charged.</param>
    /// <param name="charged">All that was charged for this payload so far, <paramref name="arrived"/> included.</param>
    internal static void Gather(Sequence<byte> buffer, ReadOnlySequence<byte> arrived, long charged)
    {
        // Large segments only once the sender has paid for as much, held already: one byte on each of many channels must
        // not pin a ReceiveSegmentBytes array each while being charged one byte.
        if (charged - arrived.Length >= ReceiveSegmentBytes && buffer.MinimumSpanLength < ReceiveSegmentBytes)
        {
            buffer.MinimumSpanLength = ReceiveSegmentBytes;
        }

        foreach (ReadOnlyMemory<byte> segment in arrived)
        {
            segment.Span.CopyTo(buffer.GetSpan(segment.Length));
            buffer.Advance(segment.Length);
        }
    }

    /// <summary>Receives all that arrives on <paramref name="channelId"/> and hands it to <paramref name="consume"/> before its buffers are returned.</summary>
    private async Task<T> ReceiveAsync<T>(ulong channelId, Func<ReadOnlySequence<byte>, BundleLimits, T> consume, CancellationToken cancellationToken)
    {
        MultiplexingStream.Channel channel = this.Claim(channelId);
        PayloadBudget? shared = options.SharedPayloadBudget;
        long charged = 0;
        Interlocked.Increment(ref this.receiving);

        using Sequence<byte> buffer = NewReceiveBuffer(ArrayPool<byte>.Shared);

        // Rescheduled before every read: it fires only when the channel has been silent for the whole idle timeout.
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                idle.CancelAfter(options.PayloadChannelIdleTimeout);
                ReadResult read;
                try
                {
                    read = await channel.Input.ReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new ProtocolViolationException(ProtocolViolation.PayloadChannelStalled, $"payload channel {channelId} sent nothing for {options.PayloadChannelIdleTimeout.TotalMilliseconds:0} ms and did not complete");
                }

                long arrived = read.Buffer.Length;
                if (charged + arrived > options.Limits.MaxBytes)
                {
                    throw new BundleLimitExceededException(nameof(BundleLimits.MaxBytes), options.Limits.MaxBytes, "more bytes arrived on the payload channel");
                }

                if (!this.connectionBudget.TryReserve(arrived))
                {
                    throw new BundleLimitExceededException(nameof(IpcConnectionOptions.MaxIncomingPayloadBytes), options.MaxIncomingPayloadBytes, "the payloads being received from this peer at once would exceed it");
                }

                if (shared is not null && !shared.TryReserve(arrived))
                {
                    this.connectionBudget.Release(arrived);
                    throw new BundleLimitExceededException(nameof(IpcConnectionOptions.SharedPayloadBudget), shared.Capacity, "the payloads being received by this process at once would exceed it");
                }

                charged += arrived;
                Gather(buffer, read.Buffer, charged);

                channel.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return consume(buffer.AsReadOnlySequence, options.Limits);
                }
            }
        }
        finally
        {
            this.connectionBudget.Release(charged);
            shared?.Release(charged);
            Interlocked.Decrement(ref this.receiving);

            // Completing and disposing our end discards whatever else the sender sends: a refused transfer is not read.
            await channel.Input.CompleteAsync().ConfigureAwait(false);
            await channel.Output.CompleteAsync().ConfigureAwait(false);
            channel.Dispose();
        }
    }

    /// <summary>Claims and closes the channel of a message that is refused before its payload is needed.</summary>
    /// <param name="channelId">The channel id, or 0.</param>
    public void Discard(ulong channelId)
    {
        if (channelId == 0)
        {
            return;
        }

        try
        {
            this.Claim(channelId).Dispose();
        }
        catch (FormatException)
        {
            // Never offered: nothing to close.
        }
    }

    private MultiplexingStream.Channel Claim(ulong channelId)
    {
        MultiplexingStream.Channel channel;
        try
        {
            // The window is given here, at acceptance: until then the multiplexer would only buffer
            // IpcConnection.UnclaimedChannelWindow bytes for an offer (a well-behaved sender sends nothing before it).
            channel = multiplexor.AcceptChannel(channelId, IpcConnection.PayloadChannelOptions);
        }
        catch (InvalidOperationException)
        {
            throw new FormatException($"The message names payload channel {channelId}, which the other side has not offered.");
        }
        finally
        {
            this.unclaimed.TryRemove(channelId, out _);
        }

        return channel;
    }

    private async Task WriteAsync(MultiplexingStream.Channel channel, byte[] payload, TimeSpan lifetime, Action? written)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(connectionClosing);
        deadline.CancelAfter(lifetime);

        // Rescheduled before each step: it fires when the peer has taken nothing for the stall timeout (a receiver reads
        // a payload as it arrives, and completes its end as soon as it has it all, or refuses it by disposing its end).
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        try
        {
            // The first chunk also waits for the receiver to accept the channel, which it does as soon as it has read the
            // message naming it: a peer that has not done so within the stall timeout counts as not reading. (A stopped
            // or deaf peer shows it only here: the messages naming its channels are too small to fill any window.)
            for (int offset = 0; offset < payload.Length; offset += WriteChunkBytes)
            {
                stall.CancelAfter(progress.StalledWriteTimeout);
                await channel.Output.WriteAsync(payload.AsMemory(offset, Math.Min(WriteChunkBytes, payload.Length - offset)), stall.Token).ConfigureAwait(false);
            }

            await channel.Output.CompleteAsync().ConfigureAwait(false);

            // Disposing now could drop bytes not yet sent; the channel completes once the receiver has read them all and
            // completed its side (or refused them by disposing its end).
            stall.CancelAfter(progress.StalledWriteTimeout);
            await channel.Completion.WaitAsync(stall.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stall.IsCancellationRequested && !deadline.IsCancellationRequested)
        {
            progress.OnStalled();
        }
        catch (Exception)
        {
            // The call ended first (deadline, refusal, disconnection, abandonment, a channel the peer faulted); its outcome
            // is reported by the call itself. Nothing awaits this task, so nothing may escape it.
        }
        finally
        {
            this.unnamed.TryRemove(channel.QualifiedId.Id, out _);
            channel.Dispose();
            written?.Invoke();
        }
    }
}
