using IpcBroker.Governance;

namespace IpcBroker.Tests;

/// <summary>The stall watch under a connection's transport: one periodic check per connection, a timestamp per write.</summary>
public class WriteProgressStreamTests(ITestOutputHelper output) : TestBase(output)
{
    private static readonly TimeSpan ShortStall = TimeSpan.FromMilliseconds(50);

    [Fact]
    public async Task WritesAndFlushesThatCompleteReachTheTransportInOrder()
    {
        var inner = new GatedStream();
        await using var watched = new WriteProgressStream(inner);
        watched.Watch(TimeSpan.FromMinutes(1), () => throw new InvalidOperationException("not stalled"));

        await watched.WriteAsync(new byte[] { 1, 2 }, this.TimeoutToken);
        await watched.WriteAsync(new byte[] { 3 });
        watched.Write([4, 5], 0, 2);
        await watched.FlushAsync(this.TimeoutToken);

        Assert.Equal([1, 2, 3, 4, 5], inner.Written.ToArray());
        Assert.Equal(1, inner.Flushes);
    }

    [Fact]
    public async Task AWriteThatMakesNoProgressIsReportedOnceAndLaterWritesFail()
    {
        var inner = new GatedStream { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var watched = new WriteProgressStream(inner);
        int reports = 0;
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watched.Watch(ShortStall, () =>
        {
            Interlocked.Increment(ref reports);
            stalled.TrySetResult();
        });

        Task pending = watched.WriteAsync(new byte[] { 1 }).AsTask();
        await this.WithTimeoutAsync(stalled.Task);

        // The pending write is released (cancelled), and what comes after fails at once.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(pending));
        await Assert.ThrowsAsync<IOException>(async () => await watched.WriteAsync(new byte[] { 2 }));
        await Assert.ThrowsAsync<IOException>(() => watched.FlushAsync());
        Assert.Equal(1, Volatile.Read(ref reports));
    }

    [Fact]
    public async Task AWriteThatFailsPassesItsErrorOnAndLeavesNothingPendingToReport()
    {
        var inner = new GatedStream { Failure = new IOException("broken pipe") };
        await using var watched = new WriteProgressStream(inner);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watched.Watch(ShortStall, () => stalled.TrySetResult());

        IOException thrown = await Assert.ThrowsAsync<IOException>(async () => await watched.WriteAsync(new byte[] { 1 }));
        Assert.Same(inner.Failure, thrown);
        Assert.Same(inner.Failure, Assert.Throws<IOException>(() => watched.Write([1], 0, 1)));

        // A failed write is over: it is not a write waiting on the peer, so no stall is reported for it.
        await AssertStillPendingAsync(stalled.Task);
    }

    [Fact]
    public async Task DisposalReleasesAWritePendingOnAPeerThatNeverReads()
    {
        var inner = new GatedStream { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var watched = new WriteProgressStream(inner);
        watched.Watch(TimeSpan.FromMinutes(1), () => { });
        Task pending = watched.WriteAsync(new byte[] { 1 }).AsTask();
        await AssertStillPendingAsync(pending);

        await this.WithTimeoutAsync(watched.DisposeAsync().AsTask());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(pending));
        Assert.True(inner.Disposed);
    }

    [Fact]
    public async Task ACancellableWriteIsCancelledByItsToken()
    {
        var inner = new GatedStream { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var watched = new WriteProgressStream(inner);
        watched.Watch(TimeSpan.FromMinutes(1), () => { });

        using var caller = new CancellationTokenSource();
        Task byCaller = watched.WriteAsync(new byte[] { 1 }, caller.Token).AsTask();
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(byCaller));
    }

    [Fact]
    public async Task ACancellableWriteIsStillReleasedByTheStall()
    {
        var inner = new GatedStream { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var watched = new WriteProgressStream(inner);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watched.Watch(ShortStall, () => stalled.TrySetResult());

        using var never = new CancellationTokenSource();
        Task byStall = watched.WriteAsync(new byte[] { 2 }, never.Token).AsTask();
        await this.WithTimeoutAsync(stalled.Task);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => this.WithTimeoutAsync(byStall));
    }

    /// <summary>A transport whose writes complete at once, wait on a gate (a peer that does not read), or fail.</summary>
    private sealed class GatedStream : Stream
    {
        public TaskCompletionSource? Gate { get; init; }

        public IOException? Failure { get; init; }

        public MemoryStream Written { get; } = new();

        public int Flushes { get; private set; }

        public bool Disposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => this.Flushes++;

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            this.Flushes++;
            return Task.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (this.Failure is not null)
            {
                throw this.Failure;
            }

            this.Written.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (this.Failure is not null)
            {
                throw this.Failure;
            }

            if (this.Gate is not null)
            {
                await this.Gate.Task.WaitAsync(cancellationToken);
            }

            this.Written.Write(buffer.Span);
        }

        protected override void Dispose(bool disposing)
        {
            this.Disposed = true;
            base.Dispose(disposing);
        }
    }
}
