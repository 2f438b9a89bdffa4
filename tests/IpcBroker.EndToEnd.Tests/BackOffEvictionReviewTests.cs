using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Testing;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// Review of the per mini program start back-off: an open that its own back-off refuses must not first stop another mini
/// program to make room for it.
/// </summary>
public sealed class BackOffEvictionReviewTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task AnOpenRefusedByItsOwnBackOffDoesNotStopAnotherMiniProgramAtTheCap()
    {
        var transport = new DyingAppTransport(new InMemoryMiniProcessTransport(null, IpcConnectionOptions.Default, this.LoggerFactory), "wx-dies-at-start");
        var options = new MiniAppHostOptions { MaxMiniProcesses = 1, StartFailuresBeforeBackOff = 3, StartBackOffFirst = TimeSpan.FromMinutes(1) };
        MiniAppHost host = MiniAppHost.StartWithTransport(this.MainRegistry, options, this.LoggerFactory, transport);
        try
        {
            for (int i = 0; i < 3; i++)
            {
                await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-dies-at-start", MiniAppVerType.Release, this.TimeoutToken)));
            }

            await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-innocent", MiniAppVerType.Release, this.TimeoutToken));

            // At the cap: the open of the backed-off mini program is refused (no process of its may start for a minute)...
            MiniAppStartException refused = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-dies-at-start", MiniAppVerType.Release, this.TimeoutToken)));
            Assert.Contains("died at start 3 times", refused.Message);

            // ...and the mini program that was running is still running: it was not stopped to make room for a start that never came.
            Assert.Contains(host.RunningMiniApps, app => app.AppId == "wx-innocent");
        }
        finally
        {
            await this.WithTimeoutAsync(host.DisposeAsync().AsTask());
        }
    }

    /// <summary>The in-memory transport, whose processes of one appId end by themselves once told their mini program.</summary>
    private sealed class DyingAppTransport(InMemoryMiniProcessTransport inner, string dyingAppId) : IMiniProcessTransport
    {
        public string Address => inner.Address;

        public MiniProcessProtections Protections => inner.Protections;

        public IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory) => inner.Launch(key, sandboxDirectory);

        public async Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked)
        {
            if (key.AppId == dyingAppId)
            {
                process.Kill();
                await process.Exited.WaitAsync(TimeSpan.FromSeconds(30), revoked);
            }

            return await inner.ConnectAsync(process, key, sandboxDirectory, revoked);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
