using IpcBroker.Protocol;

namespace IpcBroker.Fuzzing;

/// <summary>
/// Fuzzes <see cref="BundleCodec.Decode(ReadOnlyMemory{byte}, BundleLimits)"/> under <see cref="BundleLimits.Default"/>: the bytes a peer sends as a call's
/// payload, inline or on a payload channel.
/// </summary>
/// <remarks>
/// <see cref="FormatException"/> and <see cref="BundleLimitExceededException"/> are the codec's documented refusals.
/// A bundle that decodes must encode again under the same limits and decode to an equal bundle; anything else is a
/// <see cref="FuzzFindingException"/>.
/// </remarks>
public static class BundleCodecTarget
{
    /// <summary>Decodes <paramref name="input"/>; if that succeeds, re-encodes and decodes again and compares.</summary>
    /// <param name="input">The fuzzer's input, taken as an encoded bundle.</param>
    public static void Run(ReadOnlySpan<byte> input) => Check(input);

    /// <inheritdoc cref="Run"/>
    /// <returns>Whether the codec accepted the input.</returns>
    public static FuzzOutcome Check(ReadOnlySpan<byte> input)
    {
        BundleLimits limits = BundleLimits.Default;
        Bundle first;
        try
        {
            first = BundleCodec.Decode(input.ToArray(), limits);
        }
        catch (FormatException)
        {
            return FuzzOutcome.Refused;
        }
        catch (BundleLimitExceededException)
        {
            return FuzzOutcome.Refused;
        }

        byte[] encoded;
        try
        {
            encoded = BundleCodec.Encode(first, limits);
        }
        catch (BundleLimitExceededException ex) when (ex.LimitName == nameof(BundleLimits.MaxBytes))
        {
            // A string that is not UTF-8 decodes with U+FFFD (3 bytes) for each bad byte, so a bundle just under the size
            // cap can grow past it when written again. That is a refusal, not a defect; depth and entries cannot grow.
            return FuzzOutcome.Refused;
        }

        Bundle second;
        try
        {
            second = BundleCodec.Decode(encoded, limits);
        }
        catch (Exception ex) when (ex is FormatException or BundleLimitExceededException)
        {
            throw new FuzzFindingException($"A decoded bundle, encoded again, no longer decodes: {ex.Message}");
        }

        if (!first.Equals(second))
        {
            throw new FuzzFindingException($"A decoded bundle changed when encoded and decoded again: {first} became {second}.");
        }

        return FuzzOutcome.Accepted;
    }
}
