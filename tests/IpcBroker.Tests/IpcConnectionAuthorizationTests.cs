using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using IpcBroker.Diagnostics;

namespace IpcBroker.Tests;

/// <summary>
/// <see cref="IpcConnectionOptions.CallAuthorizer"/>: a refused call is answered Denied before its handler runs or its
/// payload is taken, is logged (rate-limited) and counted, and the identity asked about is the connection's, never the payload's.
/// </summary>
public class IpcConnectionAuthorizationTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task ADeniedCallIsAnsweredDeniedAndItsHandlerNeverRuns()
    {
        var authorizer = new RecordingAuthorizer(eventId => eventId != "secret");
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: new IpcConnectionOptions { CallAuthorizer = authorizer });
        int ran = 0;
        pair.MainRegistry.AddHandler("secret", _ =>
        {
            Interlocked.Increment(ref ran);
            return Task.FromResult(new Bundle());
        });
        pair.MainRegistry.AddHandler("open", r => Task.FromResult(r.Data));

        IpcResult denied = await this.WithTimeoutAsync(pair.Mini.CallAsync("secret", new Bundle().PutString("appId", "wx-someone-else")));
        IpcResult allowed = await this.WithTimeoutAsync(pair.Mini.CallAsync("open", new Bundle().PutInt("n", 1)));

        Assert.Equal(IpcErrorCode.Denied, denied.ErrorCode);
        Assert.Contains("'secret'", denied.ErrorMessage);
        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.True(allowed.IsSuccess, allowed.ToString());
        Assert.Equal(1, allowed.Data.GetInt("n"));

        // The identity asked about is the one the connection was started with; the payload's "appId" changes nothing.
        Assert.All(authorizer.Asked, a => Assert.Equal(ConnectionPair.MiniIdentity, a.Caller));
        Assert.Equal(["secret", "open"], authorizer.Asked.Select(a => a.EventId));
    }

    [Fact]
    public async Task ADeniedEventThatIsNotRegisteredIsDeniedNotNoHandler()
    {
        // A refused caller learns nothing about which events exist.
        var authorizer = new RecordingAuthorizer(_ => false);
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: new IpcConnectionOptions { CallAuthorizer = authorizer });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("no.such.event", null));

        Assert.Equal(IpcErrorCode.Denied, result.ErrorCode);
    }

    [Fact]
    public async Task ADeniedCallsLargePayloadIsDiscardedAndTheConnectionStaysUsable()
    {
        var authorizer = new RecordingAuthorizer(eventId => eventId != "secret");
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: new IpcConnectionOptions { CallAuthorizer = authorizer });
        int ran = 0;
        pair.MainRegistry.AddHandler("secret", _ =>
        {
            Interlocked.Increment(ref ran);
            return Task.FromResult(new Bundle());
        });
        pair.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));

        // Past the 64 KiB inline limit: the bundle travels on a payload channel of its own, offered before the call is read.
        Bundle large = new Bundle().PutByteArray("blob", new byte[300 * 1024]);
        IpcResult denied = await this.WithTimeoutAsync(pair.Mini.CallAsync("secret", large));

        Assert.Equal(IpcErrorCode.Denied, denied.ErrorCode);
        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.Equal(0, pair.Main.Payloads.Unclaimed);
        Assert.Equal(0, pair.Main.Payloads.Receiving);
        Assert.Equal(0, pair.Main.Payloads.BytesHeld);

        IpcResult after = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", large));
        Assert.True(after.IsSuccess, after.ToString());
        Assert.Equal(large, after.Data);
        Assert.True(pair.Main.IsConnected && pair.Mini.IsConnected);
    }

    [Fact]
    public async Task DeniedCallsAreCountedByEventAndAppIdAndLoggedRateLimited()
    {
        var measurements = new ConcurrentQueue<(string Instrument, Dictionary<string, object?> Tags)>();
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
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => measurements.Enqueue((i.Name, ToDictionary(tags))));
        listener.Start();

        // An appId of this test's own: the listener also hears the other tests running beside it.
        string appId = "wx-denied-" + Guid.NewGuid().ToString("N")[..8];
        var options = new IpcConnectionOptions { CallAuthorizer = new RecordingAuthorizer(_ => false), MaxRefusalWarningsPerSecond = 2 };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: options, miniIdentity: new IpcCaller(IpcSide.Mini, appId, MiniAppVerType.Release, 4243));
        pair.MainRegistry.AddHandler("pay", _ => Task.FromResult(new Bundle()));

        const int Calls = 50;
        IpcResult[] results = await this.WithTimeoutAsync(Task.WhenAll(Enumerable.Range(0, Calls).Select(_ => pair.Mini.CallAsync("pay", null))));
        Assert.All(results, r => Assert.Equal(IpcErrorCode.Denied, r.ErrorCode));

        IEnumerable<Dictionary<string, object?>> denied = measurements
            .Where(m => m.Instrument == "ipc.calls_denied" && Equals(m.Tags.GetValueOrDefault("ipc.caller.app_id"), appId))
            .Select(m => m.Tags);
        Assert.Equal(Calls, denied.Count(t => Equals(t["ipc.event"], "pay") && Equals(t["ipc.side"], "Main")));

        // Every denial is either written or counted in a summary line (written when the connection closes at the latest).
        await pair.DisposeAsync();
        List<TestLogRecord> main = this.Logs.Records.Where(r => r.Category == "main").ToList();
        int written = main.Count(r => r.EventId == 1024);
        int summarised = main.Where(r => r.EventId == 1021).Sum(r => int.Parse(r.Message.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Calls, written + summarised);
        Assert.True(written < Calls, $"{written} denials were logged one by one");
        Assert.All(main.Where(r => r.EventId == 1024), r => Assert.Contains(appId, r.Message));
    }

    [Fact]
    public async Task AnAuthorizerThatThrowsDenies()
    {
        var authorizer = new RecordingAuthorizer(_ => throw new InvalidOperationException("policy store unavailable"));
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: new IpcConnectionOptions { CallAuthorizer = authorizer });
        pair.MainRegistry.AddHandler("pay", _ => Task.FromResult(new Bundle()));

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("pay", null));

        Assert.Equal(IpcErrorCode.Denied, result.ErrorCode);
        Assert.DoesNotContain("policy store", result.ErrorMessage);
        Assert.True(pair.Main.IsConnected);
    }

    [Fact]
    public async Task WithoutAnAuthorizerEveryCallGoesThrough()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MainRegistry.AddHandler("pay", _ => Task.FromResult(new Bundle().PutBoolean("paid", true)));

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("pay", null));

        Assert.True(result.Data.GetBoolean("paid"), result.ToString());
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    /// <summary>Answers with <c>decide</c> and remembers every question, in order.</summary>
    private sealed class RecordingAuthorizer(Func<string, bool> decide) : IIpcCallAuthorizer
    {
        private readonly ConcurrentQueue<(IpcCaller Caller, string EventId)> asked = new();

        public IReadOnlyCollection<(IpcCaller Caller, string EventId)> Asked => this.asked;

        public bool IsAllowed(IpcCaller caller, string eventId)
        {
            this.asked.Enqueue((caller, eventId));
            return decide(eventId);
        }
    }
}
