using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Testing;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The start back-off is there for a mini executable that keeps dying at start. A mini program's own code runs once its
/// launch line is read (its hosted services start before it connects), so a hostile or broken mini program can make its
/// own process die at start as often as it is opened: that must not make the host refuse every other mini program's opens.
/// </summary>
public sealed class StartBackOffScopeTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task AMiniProgramThatDiesAtStartDoesNotMakeTheHostRefuseOtherMiniPrograms()
    {
        var transport = new DyingAppTransport(new InMemoryMiniProcessTransport(null, IpcConnectionOptions.Default, this.LoggerFactory), "wx-dies-at-start");
        var options = new MiniAppHostOptions { StartFailuresBeforeBackOff = 3, StartBackOffFirst = TimeSpan.FromMinutes(1) };
        MiniAppHost host = MiniAppHost.StartWithTransport(this.MainRegistry, options, this.LoggerFactory, transport);
        try
        {
            // The hostile mini program is opened three times; each of its processes dies after reading its launch line.
            for (int i = 0; i < 3; i++)
            {
                await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-dies-at-start", MiniAppVerType.Release, this.TimeoutToken)));
            }

            // Another mini program, whose processes start fine, is still served.
            MiniAppInfo good = await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-innocent", MiniAppVerType.Release, this.TimeoutToken));
            Assert.Equal("wx-innocent", good.AppId);

            // The mini program that keeps dying is the one whose opens wait, saying why.
            MiniAppStartException refused = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-dies-at-start", MiniAppVerType.Release, this.TimeoutToken)));
            Assert.Contains("died at start 3 times", refused.Message);
            Assert.Contains(this.Logs.Records, r => r.EventId == 2109);
        }
        finally
        {
            await this.WithTimeoutAsync(host.DisposeAsync().AsTask());
        }
    }
}
