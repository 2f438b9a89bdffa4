namespace IpcBroker.Diagnostics;

/// <summary>One completed call, as one end of a connection saw it.</summary>
/// <param name="Side">The side that recorded it.</param>
/// <param name="Outgoing">Whether this side made the call (false: this side handled it).</param>
/// <param name="Peer">The other end of the connection.</param>
/// <param name="EventId">The event.</param>
/// <param name="Request">The request bundle (for an incoming call, as decoded; empty if it could not be).</param>
/// <param name="Result">The outcome as this side knows it.</param>
/// <param name="Started">When the call started.</param>
/// <param name="Duration">How long it took.</param>
public sealed record IpcCallRecord(IpcSide Side, bool Outgoing, IpcCaller Peer, string EventId, Bundle Request, IpcResult Result, DateTimeOffset Started, TimeSpan Duration);
