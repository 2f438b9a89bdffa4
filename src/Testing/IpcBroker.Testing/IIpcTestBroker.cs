using IpcBroker.Diagnostics;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;

namespace IpcBroker.Testing;

/// <summary>
/// What a test does with a broker, the same over in-memory streams (<see cref="IpcTestBroker.InMemory"/>) and with real
/// processes over real pipes (<see cref="IpcTestBroker.WithProcesses"/>): register main-side plugins, open mini programs,
/// call them, stop them, sign a user in and out, and assert on the calls that went across (as the main side saw them).
/// </summary>
/// <remarks>
/// Both run the real <see cref="MiniAppHost"/>: the cap and its least-recently-used takeover, reactivation, stops, logout and
/// the exit notices behave the same both ways; only where a mini program runs differs.
/// </remarks>
public interface IIpcTestBroker : IAsyncDisposable
{
    /// <summary>Raised once for every mini program process that ends (<see cref="MiniAppHost.MiniProcessExited"/>).</summary>
    event EventHandler<MiniProcessExitedEventArgs>? MiniProcessExited;

    /// <summary>Gets the main-side events; register the plugins under test here before opening mini programs.</summary>
    IpcEventRegistry MainRegistry { get; }

    /// <summary>Gets every call the main side completed, both ways.</summary>
    CallRecorder Recorder { get; }

    /// <summary>Gets the most mini program processes alive at once (<see cref="MiniAppHostOptions.MaxMiniProcesses"/>).</summary>
    int MaxMiniProcesses { get; }

    /// <summary>Gets the ids of the mini program processes alive now (made up in memory), including ones starting or stopping.</summary>
    IReadOnlyList<int> ProcessIds { get; }

    /// <summary>Gets the mini programs that are running or stopping, oldest first.</summary>
    IReadOnlyList<MiniAppInfo> RunningMiniApps { get; }

    /// <summary>Opens a mini program, or reactivates it when it is open (same process).</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <param name="cancellationToken">Cancels the wait only (<see cref="MiniAppHost.StartMiniAppAsync"/>).</param>
    /// <returns>The mini program.</returns>
    /// <exception cref="MiniAppStartException">When it could not start.</exception>
    Task<IpcTestMiniApp> OpenMiniAppAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release, CancellationToken cancellationToken = default);

    /// <summary>Calls a mini-side plugin, as the host does.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="eventId">The event.</param>
    /// <param name="request">The request bundle.</param>
    /// <param name="options">Deadline and cancellation.</param>
    /// <param name="cancellationToken">Cancels the call (as the options' token does: either cancels).</param>
    /// <returns>The one outcome; <see cref="IpcErrorCode.ProcessNotRunning"/> when the mini program is not open.</returns>
    Task<IpcResult> CallMiniProcessPluginAsync(string appId, string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Stops a mini program; its pending calls fail with <see cref="IpcErrorCode.PeerDisconnected"/>.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="cancellationToken">Cancels the wait only: the stop goes on.</param>
    /// <returns>A task that completes when its process has ended.</returns>
    Task StopMiniAppAsync(string appId, CancellationToken cancellationToken = default);

    /// <summary>Signs a user in (<see cref="MiniAppHost.SignIn"/>).</summary>
    /// <param name="userId">The user's id.</param>
    /// <exception cref="InvalidOperationException">When another user is signed in, or mini programs opened before are running.</exception>
    void SignIn(string userId);

    /// <summary>Logs the user out (<see cref="MiniAppHost.LogoutAsync"/>): every mini program is stopped, its pending calls fail with <see cref="IpcErrorCode.LoggedOut"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait only: the logout goes on.</param>
    /// <returns>A task that completes when every process has ended.</returns>
    Task LogoutAsync(CancellationToken cancellationToken = default);
}
