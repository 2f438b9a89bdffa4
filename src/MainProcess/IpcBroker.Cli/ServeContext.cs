using IpcBroker.MainProcess.Hosting;

namespace IpcBroker.MainProcess.Cli;

/// <summary>What the control service needs of a <c>serve</c> host.</summary>
/// <param name="Host">The host.</param>
/// <param name="Token">The connection file's token.</param>
/// <param name="Broadcaster">Feeds <c>monitor</c> clients.</param>
/// <param name="CliConnection">An in-memory connection to the main side, through which <c>call</c> without <c>--app</c> calls as a mini program.</param>
internal sealed record ServeContext(MiniAppHost Host, string Token, CallBroadcaster Broadcaster, IpcConnection CliConnection);
