using System.Diagnostics;

namespace IpcBroker.Governance;

/// <summary>
/// Wraps a connection's transport to notice a peer that makes no progress reading: a write (or flush) pending longer
/// than a deadline aborts every pending and later write and reports the stall once, so that the connection can be
/// closed instead of this process waiting on the peer for good.
/// </summary>
/// <remarks>
/// <para>Reads pass straight through. Progress means a write completing: a peer that reads slowly but steadily is never
/// cut off, however much is queued; only one whose reading has stopped for the whole deadline is.</para>
/// <para>Thread-safety: the MultiplexingStream writes from one loop, but writes and flushes may overlap; counts are
/// interlocked, and the watch runs on a timer thread. The decorator owns <c>inner</c> and disposes it.</para>
/// </remarks>
internal sealed class WriteProgressStream : Stream
{
    private readonly Stream inner;
    private readonly CancellationTokenSource abort = new();
    private Timer? timer;
    private TimeSpan stallTimeout;
    private Action? onStalled;
    private int pending;
    private long lastProgress = Stopwatch.GetTimestamp();
    private int stalled;

    /// <summary>Initializes a new instance of the <see cref="WriteProgressStream"/> class.</summary>
    /// <param name="inner">The transport; owned from now on.</param>
    public WriteProgressStream(Stream inner)
    {
        this.inner = inner;
    }

    /// <inheritdoc/>
    public override bool CanRead => this.inner.CanRead;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => this.inner.CanWrite;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Starts watching; until then nothing is reported (the callback needs the connection built on this stream).</summary>
    /// <param name="timeout">How long a write may stay pending without any write completing.</param>
    /// <param name="stalled">Called once, on a timer thread, when the deadline passes; must not throw.</param>
    public void Watch(TimeSpan timeout, Action stalled)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        this.stallTimeout = timeout;
        this.onStalled = stalled;

        // A quarter of the deadline (at most a second) between checks: a stall is seen at most that late, at the cost of
        // one timer tick per connection.
        TimeSpan period = TimeSpan.FromTicks(Math.Min(timeout.Ticks / 4, TimeSpan.TicksPerSecond));
        this.timer = new Timer(static state => ((WriteProgressStream)state!).Check(), this, period, period);
    }

    /// <inheritdoc/>
    public override void Flush() => this.inner.Flush();

    /// <inheritdoc/>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        this.Begin();
        try
        {
            using CancellationTokenSource? linked = this.Link(cancellationToken, out CancellationToken token);
            await this.inner.FlushAsync(token).ConfigureAwait(false);
        }
        finally
        {
            this.End();
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => this.inner.Read(buffer, offset, count);

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => this.inner.ReadAsync(buffer, cancellationToken);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => this.inner.ReadAsync(buffer, offset, count, cancellationToken);

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        this.Begin();
        try
        {
            this.inner.Write(buffer, offset, count);
        }
        finally
        {
            this.End();
        }
    }

    /// <inheritdoc/>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        this.Begin();
        try
        {
            using CancellationTokenSource? linked = this.Link(cancellationToken, out CancellationToken token);
            await this.inner.WriteAsync(buffer, token).ConfigureAwait(false);
        }
        finally
        {
            this.End();
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => this.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        this.StopWatching();
        await this.inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            this.StopWatching();
            this.inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void StopWatching()
    {
        this.timer?.Dispose();

        // Also releases a write still pending on a peer that never reads, so that disposal does not wait on it.
        this.abort.Cancel();
    }

    private void Begin()
    {
        if (this.abort.IsCancellationRequested)
        {
            throw new IOException("The other process stopped reading; the connection is closing.");
        }

        if (Interlocked.Increment(ref this.pending) == 1)
        {
            Volatile.Write(ref this.lastProgress, Stopwatch.GetTimestamp());
        }
    }

    private void End()
    {
        Volatile.Write(ref this.lastProgress, Stopwatch.GetTimestamp());
        Interlocked.Decrement(ref this.pending);
    }

    private CancellationTokenSource? Link(CancellationToken cancellationToken, out CancellationToken token)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            token = this.abort.Token;
            return null;
        }

        CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, this.abort.Token);
        token = linked.Token;
        return linked;
    }

    private void Check()
    {
        if (Volatile.Read(ref this.pending) == 0 || Stopwatch.GetElapsedTime(Volatile.Read(ref this.lastProgress)) < this.stallTimeout)
        {
            return;
        }

        if (Interlocked.Exchange(ref this.stalled, 1) == 0)
        {
            this.timer?.Dispose();
            this.onStalled?.Invoke();
            this.abort.Cancel();
        }
    }
}
