namespace IpcBroker;

/// <summary>
/// The largest <see cref="Bundle"/> a party accepts or sends. Checked when a bundle is encoded for sending
/// and again, independently, when one is decoded from the wire, so a peer that ignores them gains nothing.
/// </summary>
public sealed record BundleLimits
{
    /// <summary>The limits used when none are given: depth 32, 100,000 entries, 16 MiB plus 64 KiB encoded.</summary>
    public static BundleLimits Default { get; } = new();

    /// <summary>
    /// Gets the deepest nesting allowed; the top-level bundle is depth 1.
    /// Kept far below MessagePack's own cap (500) so that decoding never comes near the stack's end.
    /// </summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Gets the most entries allowed, counted over the bundle and every nested bundle together (array elements count too).</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>
    /// Gets the largest encoded size allowed, in bytes: by default 16 MiB of data plus 64 KiB (16,842,752).
    /// </summary>
    /// <remarks>
    /// The limit counts the encoded bundle, which is a little larger than the data it holds: each key, kind tag and length
    /// header takes a few bytes. The 64 KiB above 16 MiB are room for that, so that a bundle holding a 16 MiB byte array
    /// (with its key and a few small entries beside it) fits, as a caller reading "16 MiB" expects; a bundle of 16 MiB of
    /// data in many small entries takes more overhead and may not. The memory a peer can make this side hold is bounded
    /// separately, by <see cref="IpcConnectionOptions.MaxIncomingPayloadBytes"/> and the shared payload budget, which
    /// every byte received is charged to first.
    /// </remarks>
    public int MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>The default of <see cref="MaxBytes"/>: 16 MiB plus 64 KiB of room for the encoding's own bytes.</summary>
    internal const int DefaultMaxBytes = (16 * 1024 * 1024) + (64 * 1024);
}
