using IpcBroker.MainProcess.Hosting.Sandbox;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>A snapshot of one mini program.</summary>
/// <param name="AppId">The appId.</param>
/// <param name="VerType">The build.</param>
/// <param name="ProcessId">The process it runs in.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="StartedAt">When it was opened: when its process had connected.</param>
/// <param name="LastUsedAt">When it was last opened, reactivated or called.</param>
/// <param name="ProcessStartedAt">When its process was started.</param>
public sealed record MiniAppInfo(string AppId, MiniAppVerType VerType, int ProcessId, MiniAppState State, DateTimeOffset StartedAt, DateTimeOffset LastUsedAt, DateTimeOffset ProcessStartedAt)
{
    /// <summary>Gets the sandbox its process was started in: the protections applied, its network grant and its limits.</summary>
    public MiniProcessSandbox? Sandbox { get; init; }
}
