using IpcBroker.MainProcess.Hosting.Sandbox;

namespace IpcBroker.MainProcess.Cli;

/// <summary>A running mini program as <c>list</c> and <c>open</c> print it.</summary>
/// <param name="AppId">The appId.</param>
/// <param name="Build">Its build, lower case.</param>
/// <param name="Pid">Its process.</param>
/// <param name="State">Running or Stopping.</param>
/// <param name="Opened">When it was opened.</param>
/// <param name="LastUsed">When it was last opened, reactivated or called.</param>
/// <param name="Sandbox">The sandbox its process runs in: protections applied, network, limits and what enforces them.</param>
public sealed record MiniAppDto(string AppId, string Build, int Pid, string State, DateTimeOffset Opened, DateTimeOffset LastUsed, MiniProcessSandbox? Sandbox = null);
