using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace IpcBroker.Diagnostics;

/// <summary>
/// W3C trace context across the connection (StreamJsonRpc's <see cref="ActivityTracingStrategy"/>), paid for only by
/// requests that carry it.
/// </summary>
/// <remarks>
/// <para>Outbound: a request carries <c>traceparent</c> exactly when the caller has a current activity, as with
/// <see cref="ActivityTracingStrategy"/> (the wire is unchanged).</para>
/// <para>Inbound: <see cref="ActivityTracingStrategy"/> starts a new <see cref="System.Diagnostics.Activity"/> for every
/// request, also one that carries no trace context (an activity, its ids, and two changes of the execution context per
/// call, with nobody listening). Here a request without <c>traceparent</c> starts none: the handler's span, when someone
/// listens to <see cref="IpcTelemetry.Source"/>, then takes as its parent whatever activity was current in the
/// dispatcher's execution context (the one current when the connection started listening, if any), which is also what
/// StreamJsonRpc's inbound activity would have had as its parent.</para>
/// <para>Thread-safety: stateless beyond the inner strategy, which is thread-safe.</para>
/// </remarks>
internal sealed class TraceContextStrategy : IActivityTracingStrategy
{
    private readonly ActivityTracingStrategy inner = new();

    /// <inheritdoc/>
    public void ApplyOutboundActivity(JsonRpcRequest request) => this.inner.ApplyOutboundActivity(request);

    /// <inheritdoc/>
    public IDisposable? ApplyInboundActivity(JsonRpcRequest request) => request.TraceParent is null ? null : this.inner.ApplyInboundActivity(request);
}
