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
}
