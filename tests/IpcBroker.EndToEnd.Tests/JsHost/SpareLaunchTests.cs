using IpcBroker.MainProcess.Hosting;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>A mapped mini program opened in a spare process gets its launch too, and a failed launch gives the spare's process up.</summary>
public sealed class SpareLaunchTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task ABoundSpareIsSentTheLaunchAndAFailedLaunchStopsItsProcess()
    {
        string package = Directory.CreateTempSubdirectory("ipcb-spare-pkg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(package, "app.json"), """{ "appId": "wx-spare-js" }""");

            // Not JavaScript: the launch fails whether the test mini runs JavaScript (a syntax error) or not (no such event).
            File.WriteAllText(Path.Combine(package, "app.js"), "this is not JavaScript (");
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SpareProcesses = 1 });
            await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
            int sparePid = Assert.Single(this.Host.GetSpareProcesses()).ProcessId;
            this.Host.AddMiniProgram(package);

            MiniAppStartException failure = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-spare-js")));

            Assert.Contains("wx-spare-js (Release) did not start: its mini program did not launch (", failure.Message);
            await this.WaitForLogAsync(r => r.EventId == 2102 && r.Message.Contains($"pid {sparePid} to wx-spare-js", StringComparison.Ordinal));
            await this.WaitForExitNoticeAsync(sparePid);
            Assert.Empty(this.Host.RunningMiniApps);
            Assert.DoesNotContain(sparePid, this.Host.ProcessIds);
        }
        finally
        {
            Directory.Delete(package, recursive: true);
        }
    }
}
