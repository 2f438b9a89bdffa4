namespace IpcBroker.MainProcess.Hosting;

/// <summary>A mini process's admitted connection to the host: the stream to speak on, and who is at its other end.</summary>
/// <param name="Stream">The duplex stream; the host starts its connection on it and owns it from then on.</param>
/// <param name="PeerProcessId">The process id of the peer, as the host's handlers see the caller's.</param>
/// <param name="PeerUserId">The peer's user id from the socket's credentials; null when the transport has none (in memory).</param>
internal sealed record MiniProcessLink(Stream Stream, int PeerProcessId, uint? PeerUserId);
