using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using IpcBroker.Diagnostics;

namespace IpcBroker.Tests;

/// <summary>Spans whose trace context crosses the connection, and the broker's instruments.</summary>
public class IpcTelemetryTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task TheHandlersSpanDescendsFromTheCallersSpanAcrossTheConnection()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == IpcTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var pair = new ConnectionPair(this.LoggerFactory);
        ActivityTraceId? seenByHandler = null;
        pair.MainRegistry.AddHandler("traced", _ =>
        {
            seenByHandler = Activity.Current?.TraceId;
            return Task.FromResult(new Bundle());
        });

        using var root = new Activity("mini program work").Start();
        Assert.True((await this.WithTimeoutAsync(pair.Mini.CallAsync("traced", null))).IsSuccess);
        root.Stop();

        Activity client = Assert.Single(spans, s => s.TraceId == root.TraceId && s.OperationName == "ipc.call traced");
        Activity server = Assert.Single(spans, s => s.TraceId == root.TraceId && s.OperationName == "ipc.handle traced");
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal(root.SpanId, client.ParentSpanId);
        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(root.TraceId, seenByHandler);
        Assert.True(Ancestors(server).Any(a => a.ParentSpanId == client.SpanId) || server.ParentSpanId == client.SpanId, "the server span descends from the client span");
        Assert.Equal("None", server.GetTagItem("ipc.outcome"));
        Assert.Equal("wx-app-1", server.GetTagItem("ipc.caller.app_id"));
    }

    [Fact]
    public async Task TheInstrumentsCountCallsFailuresBytesAndInFlightCalls()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
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
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.Start();
        await using var pair = new ConnectionPair(this.LoggerFactory);
        string ok = "metric.ok." + Guid.NewGuid().ToString("N");
        pair.MainRegistry.AddHandler(ok, r => Task.FromResult(r.Data));

        await this.WithTimeoutAsync(pair.Mini.CallAsync(ok, new Bundle().PutByteArray("b", new byte[1000])));
        await this.WithTimeoutAsync(pair.Mini.CallAsync("metric.missing." + ok, null));

        IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument, string eventId) =>
            measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault("ipc.event"), eventId));
        Assert.Single(Of("ipc.calls", ok), m => Equals(m.Tags["ipc.side"], "Mini") && Equals(m.Tags["ipc.direction"], "out") && Equals(m.Tags["ipc.outcome"], "None"));
        Assert.Single(Of("ipc.calls", ok), m => Equals(m.Tags["ipc.side"], "Main") && Equals(m.Tags["ipc.direction"], "in"));
        Assert.Single(Of("ipc.failures", "metric.missing." + ok), m => Equals(m.Tags["ipc.outcome"], "NoHandler") && Equals(m.Tags["ipc.side"], "Mini"));
        Assert.NotEmpty(Of("ipc.call.duration", ok));
        Assert.Contains(measurements, m => m.Instrument == "ipc.bytes" && m.Value > 1000);
        Assert.Contains(measurements, m => m.Instrument == "ipc.calls.in_flight" && m.Value == 1);
        Assert.Contains(measurements, m => m.Instrument == "ipc.calls.in_flight" && m.Value == -1);
    }

    private static IEnumerable<Activity> Ancestors(Activity activity)
    {
        for (Activity? parent = activity.Parent; parent is not null; parent = parent.Parent)
        {
            yield return parent;
        }
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
}
