namespace IpcBroker;

/// <summary>
/// A number of bytes that payloads being received may hold at once, shared by every connection given it (through
/// <see cref="IpcConnectionOptions.SharedPayloadBudget"/>): the host creates one and so bounds what all mini processes
/// together can make it buffer.
/// </summary>
/// <remarks>Thread-safe and lock-free. Bytes are reserved as they arrive and released when the transfer ends, whatever
/// its outcome; a reservation that would go over <see cref="Capacity"/> is refused whole.</remarks>
public sealed class PayloadBudget
{
    private long used;

    /// <summary>Initializes a new instance of the <see cref="PayloadBudget"/> class.</summary>
    /// <param name="capacity">The bytes that may be held at once; positive.</param>
    public PayloadBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        this.Capacity = capacity;
    }

    /// <summary>Gets the bytes that may be held at once.</summary>
    public long Capacity { get; }

    /// <summary>Gets the bytes held now.</summary>
    public long Used => Volatile.Read(ref this.used);

    /// <summary>Reserves <paramref name="bytes"/> if they fit.</summary>
    /// <param name="bytes">A non-negative count.</param>
    /// <returns><see langword="false"/>, reserving nothing, when they do not fit.</returns>
    public bool TryReserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        long current = Volatile.Read(ref this.used);
        while (true)
        {
            if (current + bytes > this.Capacity)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref this.used, current + bytes, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }
    }

    /// <summary>Returns bytes reserved earlier.</summary>
    /// <param name="bytes">What <see cref="TryReserve"/> reserved, or part of it.</param>
    public void Release(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Add(ref this.used, -bytes);
    }
}
