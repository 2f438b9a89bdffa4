using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;

namespace IpcBroker.JavaScript.Tests.Wx;

/// <summary>A main process that is not there: every call fails with PeerDisconnected, for tests that must not reach it.</summary>
internal sealed class NoMainProcess : IMainProcessCaller
{
    public static MiniAppContext Context(string appId = "wx-js-test") => new(appId, MiniAppVerType.Release, null, new NoMainProcess());

    public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(IpcResult.Failure(IpcErrorCode.PeerDisconnected, "no main process in this test"));
}
