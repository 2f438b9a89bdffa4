using IpcBroker.MainProcess.Hosting;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// A mini process started through the launcher: its connection is made before its runtime starts, and admitted on the
/// terms of its start, not of a stranger's connection.
/// </summary>
public class SandboxedLaunchTests(ITestOutputHelper output) : HostTestBase(output)
{
    [SkippableFact]
    public async Task APreConnectedMiniHasItsStartTimeForItsHelloNotTheHandshakeTimeout()
    {
        // Far less than a .NET process takes from the launcher's connect to its runtime's first hello.
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, HandshakeTimeout = TimeSpan.FromMilliseconds(50) });
        Skip.IfNot(this.Host.Protections.PreConnectedSocket, $"the mini processes are not started through the launcher here: {string.Join("; ", this.Host.Protections.Missing)}");

        MiniAppInfo mini = await this.OpenAsync("wx-slow-hello");

        IpcResult echoed = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-slow-hello", TestEvents.WhoAmI, null));
        Assert.True(echoed.IsSuccess, echoed.ToString());
        Assert.Equal(mini.ProcessId, echoed.Data.GetInt("pid"));
        Assert.DoesNotContain(this.Logs.Records, r => r.EventId == 2002);
    }
}
