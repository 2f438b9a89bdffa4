using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using IpcBroker.Diagnostics;

namespace IpcBroker.Tests;

/// <summary>What one peer may have of the other at once: calls being handled, deadlines, handlers off the receive path, and the names it may put into metrics and logs.</summary>
public class IpcConnectionGovernanceTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task AWellBehavedCallerKeepsToThePeersCapAndNeverSeesBusy()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var capReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0, peak = 0, started = 0;
        pair.MainRegistry.AddHandler("hold", async request =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            if (Interlocked.Increment(ref started) == IpcConnectionOptions.Default.MaxConcurrentIncomingCalls)
            {
                capReached.TrySetResult();
            }

            await release.Task.WaitAsync(request.CancellationToken);
            Interlocked.Decrement(ref running);
            return new Bundle().PutInt("n", request.Data.GetInt("n"));
        });

        Task<IpcResult>[] calls = Enumerable.Range(0, 200).Select(i => pair.Mini.CallAsync("hold", new Bundle().PutInt("n", i))).ToArray();
        await this.WithTimeoutAsync(capReached.Task);
        await AssertStillPendingAsync(Task.WhenAny(calls));
        Assert.Equal(IpcConnectionOptions.Default.MaxConcurrentIncomingCalls, Volatile.Read(ref started));
        release.SetResult();

        IpcResult[] results = await this.WithTimeoutAsync(Task.WhenAll(calls));
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Equal(Enumerable.Range(0, 200), results.Select(r => r.Data.GetInt("n")));
        Assert.Equal(IpcConnectionOptions.Default.PeerMaxConcurrentCalls, peak);
        Assert.True(pair.Mini.IsConnected && pair.Main.IsConnected);
    }

    [Fact]
    public async Task ACallerThatIgnoresTheCapGetsBusyAtOnceForTheExcess()
    {
        var main = new IpcConnectionOptions { MaxConcurrentIncomingCalls = 8 };
        var hostile = new IpcConnectionOptions { PeerMaxConcurrentCalls = 1000 };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: main, miniOptions: hostile);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allAdmittedStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        pair.MainRegistry.AddHandler("hold", async request =>
        {
            if (Interlocked.Increment(ref started) == 8)
            {
                allAdmittedStarted.TrySetResult();
            }

            await release.Task.WaitAsync(request.CancellationToken);
            return new Bundle();
        });

        Task<IpcResult>[] calls = Enumerable.Range(0, 20).Select(_ => pair.Mini.CallAsync("hold", null)).ToArray();
        List<IpcResult> early = [];
        var pending = new HashSet<Task<IpcResult>>(calls);
        try
        {
            // The excess is answered while the admitted calls are still held: Busy is immediate, never queued.
            while (early.Count < 12)
            {
                Task<IpcResult> next = await this.WithTimeoutAsync(Task.WhenAny(pending));
                pending.Remove(next);
                early.Add(await next);
            }
        }
        finally
        {
            // Handlers start on the thread pool, so the Busy answers may overtake the admitted calls' handlers.
            await this.WithTimeoutAsync(allAdmittedStarted.Task);
            release.SetResult();
        }

        Assert.All(early, r => Assert.Equal(IpcErrorCode.Busy, r.ErrorCode));
        Assert.Equal(8, Volatile.Read(ref started));
        Assert.Contains("8 calls", early[0].ErrorMessage);
        IpcResult[] all = await this.WithTimeoutAsync(Task.WhenAll(calls));
        Assert.Equal(8, all.Count(r => r.IsSuccess));
        Assert.Equal(12, all.Count(r => r.ErrorCode == IpcErrorCode.Busy));

        // The peer is kept, and its slots were given back.
        Assert.True((await this.WithTimeoutAsync(pair.Mini.CallAsync("hold", null))).IsSuccess);
    }

    [Fact]
    public async Task AHandlerThatOutlivesItsDeadlineKeepsItsSlotSoShortDeadlinesCannotMultiplyTheWork()
    {
        const int Cap = 4;
        await using var pair = new ConnectionPair(
            this.LoggerFactory,
            mainOptions: new IpcConnectionOptions { MaxConcurrentIncomingCalls = Cap },
            miniOptions: new IpcConnectionOptions { PeerMaxConcurrentCalls = 1000 });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var capRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0, most = 0;
        pair.MainRegistry.AddHandler("work", async request =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            if (now == Cap)
            {
                capRunning.TrySetResult();
            }

            await release.Task; // ignores its token: work that goes on past the deadline
            return new Bundle();
        });

        // Round 1 fills the cap with work that outlives its deadline; its callers get Timeout.
        Task<IpcResult>[] first = Enumerable.Range(0, Cap).Select(_ => pair.Mini.CallAsync("work", null, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(1) })).ToArray();
        await this.WithTimeoutAsync(capRunning.Task);
        IpcResult[] timedOut = await this.WithTimeoutAsync(Task.WhenAll(first));

        // Round 2 comes while that work still runs: answered Busy, no new work started.
        IpcResult[] second = await this.WithTimeoutAsync(Task.WhenAll(Enumerable.Range(0, Cap).Select(_ =>
            pair.Mini.CallAsync("work", null, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(5) }))));

        Assert.All(timedOut, r => Assert.Equal(IpcErrorCode.Timeout, r.ErrorCode));
        Assert.All(second, r => Assert.Equal(IpcErrorCode.Busy, r.ErrorCode));
        Assert.Equal(Cap, Volatile.Read(ref most));

        // Once the work ends its slots come back.
        release.SetResult();
        pair.MainRegistry.AddHandler("quick", _ => Task.FromResult(new Bundle()));
        IpcResult after;
        do
        {
            // A slot comes back just after its handler ends; until then the peer may still hear Busy.
            after = await this.WithTimeoutAsync(pair.Mini.CallAsync("quick", null));
        }
        while (after.ErrorCode == IpcErrorCode.Busy);

        Assert.True(after.IsSuccess, after.ToString());
    }

    [Fact]
    public async Task AHandlerThatBlocksItsThreadHoldsUpNoOtherCallAndItsCallerGetsTimeoutAtTheDeadline()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var release = new ManualResetEventSlim();
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.MainRegistry.AddHandler(
            "block",
            (IpcRequest request) =>
            {
                // Stands for a plugin's Thread.Sleep or synchronous SQLite write: the thread is held, no await.
                blocking.SetResult();
                release.Wait(UnexpectedTimeout);
                request.Ok();
            },
            timeout: TimeSpan.FromMilliseconds(300));
        pair.MainRegistry.AddHandler("quick", r => Task.FromResult(new Bundle().PutInt("n", 1)));
        try
        {
            Task<IpcResult> blocked = pair.Mini.CallAsync("block", null, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(15) });
            await this.WithTimeoutAsync(blocking.Task);

            IpcResult quick = await this.WithTimeoutAsync(pair.Mini.CallAsync("quick", null));
            Assert.True(quick.IsSuccess, quick.ToString());

            // The handling side's own deadline answers (its message), long before the caller's 15 s, the handler still blocked.
            IpcResult result = await this.WithTimeoutAsync(blocked);
            Assert.False(release.IsSet);
            Assert.Equal(IpcErrorCode.Timeout, result.ErrorCode);
            Assert.Contains("did not answer within 300 ms", result.ErrorMessage);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task AnEventsOwnTimeoutMayExceedTheConnectionsCapOnBothSides()
    {
        var handlingSide = new IpcConnectionOptions { MaxCallTimeout = TimeSpan.FromMilliseconds(200) };
        var callingSide = new IpcConnectionOptions
        {
            MaxCallTimeout = TimeSpan.FromSeconds(1),
            EventTimeouts = new Dictionary<string, TimeSpan> { ["long.event"] = TimeSpan.FromSeconds(30), ["capped.event"] = TimeSpan.FromSeconds(30) },
        };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: handlingSide, miniOptions: callingSide);
        pair.MainRegistry.AddHandler("long.event", (IpcRequest r) => { }, timeout: TimeSpan.FromMilliseconds(600));
        pair.MainRegistry.AddHandler("capped.event", (IpcRequest r) => { });

        // The caller may ask for its event's 30 s though its cap is 1 s; the handler grants the event's 600 ms though its cap is 200 ms.
        IpcResult overridden = await this.WithTimeoutAsync(pair.Mini.CallAsync("long.event", null));
        IpcResult capped = await this.WithTimeoutAsync(pair.Mini.CallAsync("capped.event", null));
        IpcResult tooLong = await this.WithTimeoutAsync(pair.Mini.CallAsync("other.event", null, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(2) }));

        Assert.Equal(IpcErrorCode.Timeout, overridden.ErrorCode);
        Assert.Contains("within 600 ms", overridden.ErrorMessage);
        Assert.Equal(IpcErrorCode.Timeout, capped.ErrorCode);
        Assert.Contains("within 200 ms", capped.ErrorMessage);
        Assert.Equal(IpcErrorCode.BadRequest, tooLong.ErrorCode);
        Assert.Equal(TimeSpan.FromSeconds(60), IpcConnectionOptions.Default.MaxCallTimeout);
    }

    [Fact]
    public async Task AnUnregisteredEventNameReachesNeitherMetricsNorLogs()
    {
        string secret = "peer-chosen-" + Guid.NewGuid().ToString("N");
        string registered = "known-" + Guid.NewGuid().ToString("N");
        var tagValues = new ConcurrentQueue<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == IpcTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) => Collect(tags));
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) => Collect(tags));
        listener.Start();

        await using var raw = new RawPeer(this.LoggerFactory);
        raw.MainRegistry.AddHandler(registered, r => Task.FromResult(new Bundle()));
        raw.Rpc.StartListening();
        await this.WithTimeoutAsync(raw.Rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, [registered, 1000, null, 0UL], this.TimeoutToken));
        await this.WithTimeoutAsync(raw.Rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, [secret, 1000, null, 0UL], this.TimeoutToken));
        await this.WithTimeoutAsync(raw.Rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, ["bad\u0001" + secret, 1000, null, 0UL], this.TimeoutToken));
        await this.WaitForLogAsync(r => r.EventId == 1006);

        Assert.Contains(registered, tagValues);
        Assert.Contains("unknown", tagValues);
        Assert.DoesNotContain(tagValues, v => v.Contains(secret));
        Assert.DoesNotContain(this.Logs.Records, r => r.Message.Contains(secret));

        void Collect(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Value is string value)
                {
                    tagValues.Enqueue(value);
                }
            }
        }
    }

    [Fact]
    public async Task RefusalWarningsAreRateLimitedAndTheRestSummarised()
    {
        var options = new IpcConnectionOptions { MaxRefusalWarningsPerSecond = 2 };
        await using var raw = new RawPeer(this.LoggerFactory, options);
        raw.Rpc.StartListening();
        const int Refused = 50;
        for (int i = 0; i < Refused; i++)
        {
            await this.WithTimeoutAsync(raw.Rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, ["bad\u0001name", 1000, null, 0UL], this.TimeoutToken));
        }

        raw.Main.Close(IpcErrorCode.PeerDisconnected, "the test is done");
        await this.WithTimeoutAsync(raw.Main.Completion);

        int written = this.Logs.Records.Count(r => r.EventId == 1006);
        int summarised = this.Logs.Records.Where(r => r.EventId == 1021).Sum(r => int.Parse(r.Message.Split(' ')[0]));
        this.Output.WriteLine($"written {written}, summarised {summarised}");
        Assert.True(written < Refused / 2, $"{written} warnings written");
        Assert.Equal(Refused, written + summarised);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
