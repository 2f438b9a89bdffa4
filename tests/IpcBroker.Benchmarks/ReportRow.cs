using System.Globalization;

namespace IpcBroker.Benchmarks;

/// <summary>Whether a figure should stay below its target or reach it.</summary>
internal enum Better
{
    Lower,
    Higher,
}

/// <summary>
/// One line of the report: a figure, the floor it is divided by (none when the target is absolute), and the issue's
/// target for the ratio (none for a figure shown for reference).
/// </summary>
internal sealed record ReportRow(string Figure, string ValueId, string? FloorId, Better Better, double? Target)
{
    /// <summary>The issue's targets (issue 11, "Targets"), and the figures that explain them.</summary>
    public static IReadOnlyList<ReportRow> All { get; } =
    [
        new("broker vs bare StreamJsonRpc+MessagePack on the multiplexer: small call p50 (host → mini)", "broker.h2m.p50", "stack.mux.p50", Better.Lower, 1.1),
        new("broker vs bare StreamJsonRpc+MessagePack on the multiplexer: CPU per call, 16 in flight (host → mini)", "broker.h2m.16.cpuPerCall", "stack.mux.16.cpuPerCall", Better.Lower, 1.1),
        new("small call p50, host → mini", "broker.h2m.p50", "floor.small.p50", Better.Lower, 1.5),
        new("small call p90, host → mini", "broker.h2m.p90", "floor.small.p90", Better.Lower, null),
        new("small call p99, host → mini", "broker.h2m.p99", "floor.small.p99", Better.Lower, 2.5),
        new("small call p50, mini → main", "broker.m2h.p50", "floor.small.p50", Better.Lower, 1.5),
        new("small call p90, mini → main", "broker.m2h.p90", "floor.small.p90", Better.Lower, null),
        new("small call p99, mini → main", "broker.m2h.p99", "floor.small.p99", Better.Lower, 2.5),
        new("first second after start, p50 (host → mini), against the steady p50", "broker.firstSecond.p50", "broker.h2m.p50", Better.Lower, 2),
        new("16 in flight from one mini process (mini → main): calls/s, against the coalesced floor", "broker.m2h.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, 0.5),
        new("16 in flight from one mini process (mini → main): CPU per call, both processes", "broker.m2h.16.cpuPerCall", "floor.coalesced.cpuPerCall", Better.Lower, 2.5),
        new("16 in flight, host → mini: calls/s", "broker.h2m.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, null),
        new("16 in flight, host → mini: CPU per call", "broker.h2m.16.cpuPerCall", "floor.coalesced.cpuPerCall", Better.Lower, null),
        new("5 mini processes at once, 16 in flight each: total calls/s, against one's", "broker.five.callsPerSecond", "broker.m2h.16.callsPerSecond", Better.Higher, 1),
        new("5 mini processes at once: the slowest one's calls/s, against the mean", "broker.five.slowestOfMean", null, Better.Higher, 0.75),
        new("16 MiB bundle echoed host → mini → host: MiB/s", "broker.bulk.h2m.mibPerSecond", "floor.bulk.mibPerSecond", Better.Higher, 0.5),
        new("16 MiB bundle echoed mini → main → mini: MiB/s", "broker.bulk.m2h.mibPerSecond", "floor.bulk.mibPerSecond", Better.Higher, 0.5),
        new("open to first answered call, cold (no spare)", "broker.open.cold.ms", "floor.start.ms", Better.Lower, 1.5),
        new("open to first answered call, warm (a spare process)", "broker.open.warm.ms", "floor.start.ms", Better.Lower, 0.25),
        new("idle mini process resident memory", "mini.idle.rssMiB", "floor.idle.rssMiB", Better.Lower, 1.25),
        new("host resident memory per idle connection (MiB, absolute)", "host.perConnection.rssMiB", null, Better.Lower, 1),
        new("host managed heap per idle connection (MiB, reference)", "host.perConnection.managedMiB", null, Better.Lower, null),
        new("host resident memory, no mini process (MiB)", "host.idle.rssMiB", null, Better.Lower, null),
        new("bare StreamJsonRpc+MessagePack on the socket: small call p50", "stack.socket.p50", "floor.small.p50", Better.Lower, null),
        new("bare StreamJsonRpc+MessagePack on the multiplexer: small call p50", "stack.mux.p50", "floor.small.p50", Better.Lower, null),
        new("StreamJsonRpc off the call path (bundle frames on the multiplexer): p50", "stack.frames.p50", "floor.small.p50", Better.Lower, null),
        new("bare StreamJsonRpc+MessagePack on the socket: 16 in flight calls/s", "stack.socket.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, null),
        new("bare StreamJsonRpc+MessagePack on the multiplexer: 16 in flight calls/s", "stack.mux.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, null),
        new("StreamJsonRpc off the call path: 16 in flight calls/s", "stack.frames.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, null),
        new("bare StreamJsonRpc+MessagePack on the multiplexer: CPU per call, 16 in flight", "stack.mux.16.cpuPerCall", "floor.coalesced.cpuPerCall", Better.Lower, null),
        new("StreamJsonRpc off the call path: CPU per call, 16 in flight", "stack.frames.16.cpuPerCall", "floor.coalesced.cpuPerCall", Better.Lower, null),
        new("StreamJsonRpc off the call path vs bare StreamJsonRpc on the multiplexer: p50", "stack.frames.p50", "stack.mux.p50", Better.Lower, null),
    ];

    /// <summary>Evaluates the row against a run's figures; null when the figure (or its floor) was not measured.</summary>
    public Evaluated? Evaluate(Results results)
    {
        double? value = results.Median(this.ValueId);
        double? floor = this.FloorId is null ? null : results.Median(this.FloorId);
        if (value is null || (this.FloorId is not null && floor is null))
        {
            return null;
        }

        double ratio = floor is { } f ? value.Value / f : value.Value;
        bool? met = this.Target is not { } target ? null : this.Better == Better.Lower ? ratio <= target : ratio >= target;
        return new Evaluated(this, value.Value, results.Unit(this.ValueId), floor, ratio, met);
    }

    /// <summary>The target as the table prints it.</summary>
    public string TargetText => this.Target is not { } target ? string.Empty
        : (this.Better == Better.Lower ? "≤ " : "≥ ") + target.ToString("0.##", CultureInfo.InvariantCulture) + (this.FloorId is null ? string.Empty : "x");

    /// <summary>A row with its numbers.</summary>
    internal sealed record Evaluated(ReportRow Row, double Value, string Unit, double? Floor, double Ratio, bool? Met);
}
