using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Testing;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The in-memory transport, whose processes of one appId end by themselves once told their mini program.</summary>
internal sealed class DyingAppTransport(InMemoryMiniProcessTransport inner, string dyingAppId) : IMiniProcessTransport
{
    public string Address => inner.Address;

    public MiniProcessProtections Protections => inner.Protections;

    public IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory) => inner.Launch(key, sandboxDirectory);

    public async Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked)
    {
        if (key.AppId == dyingAppId)
        {
            // What a mini program's hosted service can do once its launch line is read: end its own process.
            process.Kill();
            await process.Exited.WaitAsync(TimeSpan.FromSeconds(30), revoked);
        }

        return await inner.ConnectAsync(process, key, sandboxDirectory, revoked);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
