using IpcBroker.Diagnostics;

namespace IpcBroker.Tests;

/// <summary>
/// Review of the late fix to the one-hop incoming path: an answer given in the handler's synchronous part is sent inline,
/// inside the handler's <see cref="IpcRequest.Ok"/> call.
/// </summary>
public class IncomingRunInlineReviewTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task TheObserverDoesNotRunInsideTheHandlersOkCall()
    {
        // The run's TaskCompletionSource has no RunContinuationsAsynchronously: setting the reply inline runs OnCallAsync's
        // tail (telemetry, the host's observer) and StreamJsonRpc's response path on the handler's thread, before Ok() returns
        // and under whatever lock the handler holds while it answers.
        var observer = new Recorder();
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: new IpcConnectionOptions { Observer = observer });
        object handlersLock = new();
        pair.MainRegistry.AddHandler(
            "answer.under.lock",
            (IpcRequest request) =>
            {
                lock (handlersLock)
                {
                    observer.HandlersLock = handlersLock;
                    request.Ok(new Bundle().PutInt("n", 1));
                    observer.OkReturned = true;
                }
            });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("answer.under.lock", null));
        Assert.True(result.IsSuccess, result.ToString());
        await this.WithTimeoutAsync(observer.Completed.Task);

        Assert.False(observer.RanUnderHandlersLock, "the observer ran on the handler's thread, inside its lock, before Ok() returned");
    }

    private sealed class Recorder : IIpcCallObserver
    {
        public TaskCompletionSource Completed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public volatile object? HandlersLock;

        public volatile bool OkReturned;

        public bool RanUnderHandlersLock { get; private set; }

        public void OnCallCompleted(IpcCallRecord record)
        {
            if (record.Outgoing || record.EventId != "answer.under.lock")
            {
                return;
            }

            this.RanUnderHandlersLock = this.HandlersLock is { } gate && Monitor.IsEntered(gate) && !this.OkReturned;
            this.Completed.TrySetResult();
        }
    }
}
