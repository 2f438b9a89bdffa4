using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace IpcBroker.Diagnostics;

/// <summary>
/// The broker's traces and metrics, both named <see cref="Name"/>: a span per call on the calling side
/// (<c>ipc.call EVENT</c>, client) and on the handling side (<c>ipc.handle EVENT</c>, server), whose trace context crosses
/// the process boundary in each request (W3C <c>traceparent</c>, by StreamJsonRpc's <c>ActivityTracingStrategy</c>), so a
/// span in a mini process is the ancestor of the handler's span in the main process; and instruments for calls,
/// durations, calls in flight, bytes, failures by error code, and calls denied by the call authorizer.
/// </summary>
/// <remarks>Tags: <c>ipc.side</c> (Main/Mini: where the measurement is taken), <c>ipc.direction</c> (out/in), <c>ipc.event</c>, <c>ipc.outcome</c> (an <see cref="IpcErrorCode"/> name; None for success).</remarks>
public static class IpcTelemetry
{
    /// <summary>The name of the ActivitySource and of the Meter.</summary>
    public const string Name = "IpcBroker";

    /// <summary>The source of the broker's spans.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    /// <summary>Calls completed, by side, direction, event and outcome.</summary>
    internal static readonly Counter<long> Calls = Meter.CreateCounter<long>("ipc.calls", description: "Calls completed");

    /// <summary>Call durations in milliseconds, by side, direction, event and outcome.</summary>
    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("ipc.call.duration", unit: "ms", description: "Call duration");

    /// <summary>Calls in flight, by side and direction.</summary>
    internal static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>("ipc.calls.in_flight", description: "Calls in flight");

    /// <summary>Encoded bundle bytes, by side and direction (out: requests sent and answers sent; in: requests and answers received).</summary>
    internal static readonly Counter<long> Bytes = Meter.CreateCounter<long>("ipc.bytes", unit: "By", description: "Bundle bytes");

    /// <summary>Failed calls, by side, direction and error code.</summary>
    internal static readonly Counter<long> Failures = Meter.CreateCounter<long>("ipc.failures", description: "Failed calls");

    /// <summary>Connections closed for breaking the wire protocol, by side (where measured) and <c>reason</c> (a <see cref="ProtocolViolation"/> name).</summary>
    internal static readonly Counter<long> ProtocolViolations = Meter.CreateCounter<long>("ipc.protocol_violations", description: "Connections closed for a protocol violation");

    /// <summary>
    /// Incoming calls refused by the connection's <see cref="IpcConnectionOptions.CallAuthorizer"/>, by side (where
    /// measured), <c>ipc.event</c> (the event when registered there, else <c>unknown</c>) and <c>ipc.caller.app_id</c> (the
    /// connection's bound identity).
    /// </summary>
    internal static readonly Counter<long> CallsDenied = Meter.CreateCounter<long>("ipc.calls_denied", description: "Incoming calls refused by the call authorizer");

    /// <summary>
    /// Gets a value indicating whether anything listens to the per-call span or instruments: when nothing does, a call
    /// skips its telemetry work altogether (no span, no tag lists, no clock reads for the duration).
    /// </summary>
    /// <remarks>Read once per call, at its start: a listener attached while a call is in flight sees the next call.</remarks>
    internal static bool IsCallTelemetryOn => Source.HasListeners() || Calls.Enabled || Duration.Enabled || InFlight.Enabled || Bytes.Enabled || Failures.Enabled;

    /// <summary>Counts one denied incoming call.</summary>
    internal static void RecordDenied(IpcSide side, string eventId, string callerAppId) =>
        CallsDenied.Add(1, new TagList { { "ipc.side", side.ToString() }, { "ipc.event", eventId }, { "ipc.caller.app_id", callerAppId } });

    /// <summary>Counts one protocol violation.</summary>
    internal static void RecordViolation(IpcSide side, ProtocolViolation violation) =>
        ProtocolViolations.Add(1, new TagList { { "ipc.side", side.ToString() }, { "reason", violation.ToString() } });

    /// <summary>Records the end of a call in the instruments and on its span.</summary>
    internal static void Complete(Activity? activity, IpcSide side, string direction, string eventId, IpcErrorCode outcome, long startTimestamp)
    {
        var tags = new TagList
        {
            { "ipc.side", side.ToString() },
            { "ipc.direction", direction },
            { "ipc.event", eventId },
            { "ipc.outcome", outcome.ToString() },
        };
        Calls.Add(1, tags);
        Duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds, tags);
        if (outcome != IpcErrorCode.None)
        {
            Failures.Add(1, tags);
        }

        if (activity is not null)
        {
            activity.SetTag("ipc.outcome", outcome.ToString());
            activity.SetStatus(outcome == IpcErrorCode.None ? ActivityStatusCode.Ok : ActivityStatusCode.Error, outcome == IpcErrorCode.None ? null : outcome.ToString());
        }
    }

    /// <summary>Tags of the in-flight and bytes instruments.</summary>
    internal static TagList SideTags(IpcSide side, string direction) => new() { { "ipc.side", side.ToString() }, { "ipc.direction", direction } };
}
