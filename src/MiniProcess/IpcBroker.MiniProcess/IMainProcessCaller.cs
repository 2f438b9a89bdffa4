namespace IpcBroker.MiniProcess;

/// <summary>What mini-side code needs to call the main process; <see cref="MiniProcessClient"/> is the real one, tests may pass another.</summary>
public interface IMainProcessCaller
{
    /// <summary>Calls a main-process plugin and awaits its one outcome.</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle.</param>
    /// <param name="options">Deadline and cancellation.</param>
    /// <param name="cancellationToken">Cancels the call, as <see cref="IpcCallOptions.CancellationToken"/> does; either cancels it.</param>
    /// <returns>The outcome; never faults. A cancelled call completes with <see cref="IpcErrorCode.Canceled"/>.</returns>
    Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default);
}
