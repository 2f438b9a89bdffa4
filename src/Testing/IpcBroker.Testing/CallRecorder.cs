using System.Collections.Concurrent;
using IpcBroker.Diagnostics;

namespace IpcBroker.Testing;

/// <summary>Keeps every call the main side completed, in order, and lets a test wait for one.</summary>
public sealed class CallRecorder : IIpcCallObserver
{
    private readonly ConcurrentQueue<IpcCallRecord> calls = new();
    private readonly List<(Func<IpcCallRecord, bool> Match, TaskCompletionSource<IpcCallRecord> Signal)> waiters = [];

    /// <summary>Gets the calls so far: <see cref="IpcCallRecord.Outgoing"/> is true for main → mini, false for mini → main.</summary>
    public IReadOnlyList<IpcCallRecord> Calls => [.. this.calls];

    /// <inheritdoc/>
    public void OnCallCompleted(IpcCallRecord record)
    {
        lock (this.waiters)
        {
            this.calls.Enqueue(record);
            foreach ((Func<IpcCallRecord, bool> match, TaskCompletionSource<IpcCallRecord> signal) in this.waiters)
            {
                if (match(record))
                {
                    signal.TrySetResult(record);
                }
            }
        }
    }

    /// <summary>Waits for a call matching <paramref name="match"/> (one already recorded counts).</summary>
    /// <param name="match">The condition.</param>
    /// <param name="cancellationToken">Bounds the wait.</param>
    /// <returns>The first matching call.</returns>
    public Task<IpcCallRecord> WaitForCallAsync(Func<IpcCallRecord, bool> match, CancellationToken cancellationToken)
    {
        var signal = new TaskCompletionSource<IpcCallRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.waiters)
        {
            this.waiters.Add((match, signal));
            if (this.calls.FirstOrDefault(match) is { } seen)
            {
                signal.TrySetResult(seen);
            }
        }

        return signal.Task.WaitAsync(cancellationToken);
    }
}
