using System.Buffers;
using System.IO.Pipelines;
using Nerdbank.Streams;

namespace IpcBroker.Protocol;

/// <summary>
/// Moves encoded bundles between the two sides: small ones inline in the JSON-RPC message, large ones on an anonymous
/// multiplexed channel of their own, so that a large transfer shares the pipe frame by frame with everything else
/// instead of holding up the calls queued behind it on the RPC channel.
/// </summary>
/// <remarks>
/// <para>The sender creates the channel (which offers it to the peer), names its id in the call or reply, writes the
/// bytes and completes its output. The receiver accepts the channel by that id, reads until the sender completes — never
/// more than <see cref="BundleLimits.MaxBytes"/> — then completes its own output, which lets both ends' channel complete.</para>
/// <para>Every offered channel must be claimed by a message naming it; offers not yet claimed are counted, and one past
/// <see cref="IpcConnectionOptions.MaxUnclaimedChannels"/> closes the connection (the library sets no cap of its own).</para>
/// </remarks>
internal sealed class PayloadTransfer(MultiplexingStream multiplexor, IpcConnectionOptions options, CancellationToken connectionClosing)
{
    private int unclaimed;

    /// <summary>Counts an offer from the peer.</summary>
    /// <returns><see langword="false"/> when the peer has exceeded the cap.</returns>
    public bool OnOffered() => Interlocked.Increment(ref this.unclaimed) <= options.MaxUnclaimedChannels;

    /// <summary>Sends <paramref name="payload"/> inline or starts sending it on a new channel.</summary>
    /// <param name="payload">The encoded bundle.</param>
    /// <param name="lifetime">How long the transfer may take at most.</param>
    /// <returns>What to put in the message: the inline bytes, or the channel id.</returns>
    public (byte[]? Inline, ulong Channel) Send(byte[] payload, TimeSpan lifetime)
    {
        if (payload.Length <= options.InlinePayloadLimit)
        {
            return (payload, 0);
        }

        MultiplexingStream.Channel channel = multiplexor.CreateChannel();
        _ = this.WriteAsync(channel, payload, lifetime);
        return (null, channel.QualifiedId.Id);
    }

    /// <summary>Gets the payload a message names: its inline bytes, or all that arrives on its channel.</summary>
    /// <param name="inline">The inline bytes, if any.</param>
    /// <param name="channelId">The channel id, or 0.</param>
    /// <param name="cancellationToken">Bounds the wait.</param>
    /// <returns>The encoded bundle.</returns>
    /// <exception cref="BundleLimitExceededException">When more than <see cref="BundleLimits.MaxBytes"/> arrive.</exception>
    /// <exception cref="FormatException">When the message names a channel the peer has not offered.</exception>
    public async Task<ReadOnlyMemory<byte>> ReceiveAsync(byte[]? inline, ulong channelId, CancellationToken cancellationToken)
    {
        if (channelId == 0)
        {
            return inline ?? [];
        }

        MultiplexingStream.Channel channel = this.Claim(channelId);
        try
        {
            var buffer = new ArrayBufferWriter<byte>(options.InlinePayloadLimit * 2);
            while (true)
            {
                ReadResult read = await channel.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (buffer.WrittenCount + read.Buffer.Length > options.Limits.MaxBytes)
                {
                    throw new BundleLimitExceededException(nameof(BundleLimits.MaxBytes), options.Limits.MaxBytes, "more bytes arrived on the payload channel");
                }

                foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                {
                    buffer.Write(segment.Span);
                }

                channel.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return buffer.WrittenMemory;
                }
            }
        }
        finally
        {
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
            channel = multiplexor.AcceptChannel(channelId);
        }
        catch (InvalidOperationException)
        {
            throw new FormatException($"The message names payload channel {channelId}, which the other side has not offered.");
        }

        Interlocked.Decrement(ref this.unclaimed);
        return channel;
    }

    private async Task WriteAsync(MultiplexingStream.Channel channel, byte[] payload, TimeSpan lifetime)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(connectionClosing);
        deadline.CancelAfter(lifetime);
        try
        {
            await channel.Output.WriteAsync(payload, deadline.Token).ConfigureAwait(false);
            await channel.Output.CompleteAsync().ConfigureAwait(false);

            // Disposing now could drop bytes not yet sent; the channel completes once the receiver has read them all and
            // completed its side (or refused them by disposing its end).
            await channel.Completion.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The call ended first (deadline, refusal, disconnection); its outcome is reported elsewhere.
        }
        finally
        {
            channel.Dispose();
        }
    }
}
