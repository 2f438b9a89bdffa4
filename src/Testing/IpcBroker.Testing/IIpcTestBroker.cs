using IpcBroker.Diagnostics;
using IpcBroker.Plugins;

namespace IpcBroker.Testing;

/// <summary>
/// What a test does with a broker, the same over in-memory streams (<see cref="IpcTestBroker.InMemory"/>) and with real
/// processes over real pipes (<see cref="IpcTestBroker.WithProcesses"/>): register main-side plugins, open mini programs,
/// call them, and assert on the calls that went across (as the main side saw them).
/// </summary>
public interface IIpcTestBroker : IAsyncDisposable
{
    /// <summary>Gets the main-side events; register the plugins under test here before opening mini programs.</summary>
    IpcEventRegistry MainRegistry { get; }

    /// <summary>Gets every call the main side completed, both ways.</summary>
    CallRecorder Recorder { get; }

    /// <summary>Opens a mini program.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <returns>The mini program.</returns>
    Task<IpcTestMiniApp> OpenMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release);

    /// <summary>Calls a mini-side plugin, as the host does.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="eventId">The event.</param>
    /// <param name="request">The request bundle.</param>
    /// <param name="options">Deadline and cancellation.</param>
    /// <returns>The one outcome.</returns>
    Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? options = null);

    /// <summary>Stops a mini program; its pending calls fail with <see cref="IpcErrorCode.PeerDisconnected"/>.</summary>
    /// <param name="appId">The mini program.</param>
    /// <returns>A task.</returns>
    Task StopMiniAppAsync(string appId);
}
