namespace IpcBroker;

/// <summary>
/// The largest <see cref="Bundle"/> a party accepts or sends. Checked when a bundle is encoded for sending
/// and again, independently, when one is decoded from the wire, so a peer that ignores them gains nothing.
/// </summary>
public sealed record BundleLimits
{
    /// <summary>The limits used when none are given: depth 32, 100,000 entries, 16 MiB.</summary>
    public static BundleLimits Default { get; } = new();

    /// <summary>
    /// Gets the deepest nesting allowed; the top-level bundle is depth 1.
    /// Kept far below MessagePack's own cap (500) so that decoding never comes near the stack's end.
    /// </summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Gets the most entries allowed, counted over the bundle and every nested bundle together (array elements count too).</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>Gets the largest encoded size allowed, in bytes.</summary>
    public int MaxBytes { get; init; } = 16 * 1024 * 1024;
}
