using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;

namespace IpcBroker.Testing;

/// <summary>A mini program opened by a test broker (<see cref="IIpcTestBroker.OpenMiniAppAsync"/> makes them).</summary>
public sealed class IpcTestMiniApp
{
    private readonly IMainProcessCaller? main;

    /// <summary>Initializes a new instance of the <see cref="IpcTestMiniApp"/> class.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="verType">Its build.</param>
    /// <param name="processId">Its process id (in memory: a made-up id, the same the main side's handlers see as the caller's).</param>
    /// <param name="main">In memory, the mini side's way to the main process; null with real processes, where calls to the main process come from the mini executable.</param>
    internal IpcTestMiniApp(string appId, MiniAppVerType verType, int processId, IMainProcessCaller? main)
    {
        this.AppId = appId;
        this.VerType = verType;
        this.ProcessId = processId;
        this.main = main;
    }

    /// <summary>Gets the appId.</summary>
    public string AppId { get; }

    /// <summary>Gets the build.</summary>
    public MiniAppVerType VerType { get; }

    /// <summary>Gets the process id the main side sees.</summary>
    public int ProcessId { get; }

    /// <summary>Gets the context open-API code runs in (in memory only).</summary>
    public MiniAppContext Context => new(this.AppId, this.VerType, null, this.main ?? throw NotInMemory());

    /// <summary>Calls a main-side plugin as this mini program (in memory only: with real processes the mini executable makes such calls).</summary>
    /// <param name="eventId">The event.</param>
    /// <param name="request">The request bundle.</param>
    /// <param name="options">Deadline and cancellation.</param>
    /// <param name="cancellationToken">Cancels the call (as the options' token does: either cancels).</param>
    /// <returns>The one outcome.</returns>
    /// <exception cref="NotSupportedException">When the mini program runs in a real process.</exception>
    public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default)
    {
        IMainProcessCaller caller = this.main ?? throw NotInMemory();
        return CancellableCall.RunAsync(o => caller.CallMainProcessPluginAsync(eventId, request, o), options, cancellationToken);
    }

    private static NotSupportedException NotInMemory() => new("Only a mini program opened in memory can be driven from the test; with real processes the mini executable calls the main process.");
}
