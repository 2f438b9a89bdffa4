using System.Buffers;

namespace IpcBroker.Protocol;

/// <summary>
/// A buffer writer over one array of a size known in advance, which <see cref="ToArray"/> hands out without a copy when
/// exactly that many bytes were written.
/// </summary>
/// <remarks>
/// <para>A writer asks for more room than it then uses (MessagePack asks for 5 bytes to write an integer that may take
/// 1), so a request larger than what is left of the array is served from a small scratch buffer whose bytes are copied
/// into the array when committed. Should more be written than was announced (a sizing mistake), the array grows and
/// <see cref="ToArray"/> trims: slower, never wrong.</para>
/// <para>Not thread-safe: one writer, one thread.</para>
/// </remarks>
internal sealed class ExactBufferWriter : IBufferWriter<byte>
{
    private byte[] buffer;
    private byte[]? scratch;
    private bool scratchOut;
    private int written;

    /// <summary>Initializes a new instance of the <see cref="ExactBufferWriter"/> class.</summary>
    /// <param name="size">The bytes that will be written.</param>
    public ExactBufferWriter(int size) => this.buffer = size == 0 ? [] : GC.AllocateUninitializedArray<byte>(size);

    /// <summary>Gets how many bytes have been written.</summary>
    public int WrittenCount => this.written;

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (this.scratchOut)
        {
            this.scratchOut = false;
            this.EnsureRoom(count);
            this.scratch.AsSpan(0, count).CopyTo(this.buffer.AsSpan(this.written));
        }
        else if (count > this.buffer.Length - this.written)
        {
            throw new InvalidOperationException("Advanced past the buffer.");
        }

        this.written += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        int left = this.buffer.Length - this.written;
        if (left > 0 && left >= sizeHint)
        {
            this.scratchOut = false;
            return this.buffer.AsMemory(this.written);
        }

        int size = Math.Max(sizeHint, 16);
        if (this.scratch is null || this.scratch.Length < size)
        {
            this.scratch = new byte[size];
        }

        this.scratchOut = true;
        return this.scratch;
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0) => this.GetMemory(sizeHint).Span;

    /// <summary>Gets the bytes written: the array itself when it is full, else a trimmed copy.</summary>
    /// <returns>The written bytes.</returns>
    public byte[] ToArray() => this.written == this.buffer.Length ? this.buffer : this.buffer.AsSpan(0, this.written).ToArray();

    private void EnsureRoom(int count)
    {
        if (count > this.buffer.Length - this.written)
        {
            Array.Resize(ref this.buffer, Math.Max(this.written + count, this.buffer.Length * 2));
        }
    }
}
