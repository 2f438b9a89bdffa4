using System.Buffers.Text;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Wraps a control socket connection and checks, as the bytes arrive and before the JSON-RPC reader sees them, the
/// header-delimited frames (<c>Content-Length: N</c>, a blank line, N bytes): a frame that declares more than
/// <see cref="MaxFrameBytes"/>, or a header section longer than 4 KiB, fails the read with <see cref="IOException"/>, which
/// ends the connection.
/// </summary>
/// <remarks>
/// StreamJsonRpc's <c>HeaderDelimitedMessageHandler</c> honours any <c>Content-Length</c> and reserves room for it, so
/// anyone able to connect could make the host allocate gigabytes with one line, before its token is checked. One reader
/// at a time (JsonRpc's); <see cref="MaxFrameBytes"/> may be raised from another thread once the client is authenticated.
/// </remarks>
/// <param name="inner">The connection; disposed with this stream.</param>
/// <param name="maxFrameBytes">The largest frame body accepted at first.</param>
/// <param name="onViolation">Told why the connection is being ended, before the read fails.</param>
internal sealed class ControlFrameGuard(Stream inner, int maxFrameBytes, Action<string> onViolation) : Stream
{
    /// <summary>The longest header section: a JSON-RPC client sends one or two short headers.</summary>
    private const int MaxHeaderBytes = 4096;

    private readonly byte[] headerLine = new byte[MaxHeaderBytes];
    private int headerLineLength;
    private int headerBytes;
    private bool sawContentLength;
    private long contentLength = -1;
    private long bodyLeft;
    private int maxFrameBytes = maxFrameBytes;

    /// <summary>Gets or sets the largest frame body accepted from now on (raised once the client has said hello).</summary>
    public int MaxFrameBytes
    {
        get => Volatile.Read(ref this.maxFrameBytes);
        set => Volatile.Write(ref this.maxFrameBytes, value);
    }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => this.Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        this.Inspect(buffer[..read]);
        return read;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => this.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        this.Inspect(buffer.Span[..read]);
        return read;
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Follows the framing through <paramref name="bytes"/>; throws before they are handed on if a frame breaks the caps.</summary>
    private void Inspect(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (this.bodyLeft > 0)
            {
                int skip = (int)Math.Min(this.bodyLeft, bytes.Length);
                this.bodyLeft -= skip;
                bytes = bytes[skip..];
                continue;
            }

            byte b = bytes[0];
            bytes = bytes[1..];
            if (++this.headerBytes > MaxHeaderBytes)
            {
                this.Fail($"a header section longer than {MaxHeaderBytes} bytes");
            }

            if (b != (byte)'\n')
            {
                this.headerLine[this.headerLineLength++] = b;
                continue;
            }

            ReadOnlySpan<byte> line = this.headerLine.AsSpan(0, this.headerLineLength);
            this.headerLineLength = 0;

            // Exactly as the JSON-RPC reader behind this guard frames messages, or not at all: a line it might read
            // otherwise (a bare LF) is refused rather than guessed at, so the two can never disagree on where a body ends.
            if (line.IsEmpty || line[^1] != (byte)'\r')
            {
                this.Fail("a header line not ended by CRLF");
            }

            line = line[..^1];
            if (!line.IsEmpty)
            {
                this.OnHeader(line);
                continue;
            }

            // The blank line: the body follows.
            if (this.contentLength < 0)
            {
                this.Fail("a frame without Content-Length");
            }

            this.bodyLeft = this.contentLength;
            this.contentLength = -1;
            this.headerBytes = 0;
            this.sawContentLength = false;
        }
    }

    private void OnHeader(ReadOnlySpan<byte> line)
    {
        int colon = line.IndexOf((byte)':');
        ReadOnlySpan<byte> name = colon < 0 ? line : line[..colon];
        if (!System.Text.Ascii.EqualsIgnoreCase(name.Trim((byte)' ').Trim((byte)'\t'), "Content-Length"u8))
        {
            return;
        }

        // The reader behind this guard knows only the exact name, and takes the last one: any other spelling, or a second
        // one, could make it read a different length than the one checked here.
        if (colon < 0 || !name.SequenceEqual("Content-Length"u8))
        {
            this.Fail("a Content-Length header spelled otherwise than 'Content-Length:'");
        }

        if (this.sawContentLength)
        {
            this.Fail("two Content-Length headers in one frame");
        }

        this.sawContentLength = true;
        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim((byte)' ');
        if (!Utf8Parser.TryParse(value, out long length, out int consumed) || consumed != value.Length || length < 0)
        {
            this.Fail("a Content-Length that is not a number");
        }

        if (length > this.MaxFrameBytes)
        {
            this.Fail($"a frame of {length} bytes, over the cap of {this.MaxFrameBytes}");
        }

        this.contentLength = length;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Fail(string reason)
    {
        onViolation(reason);
        throw new IOException($"The control client sent {reason}.");
    }
}
