namespace IpcBroker.Protocol;

/// <summary>
/// The rule that keeps one side from waiting on a peer that has stopped reading: how many of the peer's requests may
/// wait for their answers to be written before the peer is read no more, how long a write may make no progress, and
/// whom to tell when one makes none.
/// </summary>
/// <param name="MaxUnansweredRequests">Requests read from the peer whose answers are not yet handed to the writer, at most.</param>
/// <param name="StalledWriteTimeout">How long a write (a flush of channel 0, a payload chunk) may wait on the peer.</param>
/// <param name="OnStalled">Told, possibly more than once and from any thread, that a write made no progress that long; must not block.</param>
internal sealed record OutboundProgress(int MaxUnansweredRequests, TimeSpan StalledWriteTimeout, Action OnStalled);
