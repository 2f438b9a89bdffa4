using IpcBroker.MainProcess.Hosting;
using IpcBroker.MiniProcess;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>
/// A runaway at the launch, or right after it, never loses the launch's answer: the mini process asks to exit at the
/// runaway, and the answer, given just before, must still reach the host.
/// </summary>
public sealed class JsLaunchAnswerTests(ITestOutputHelper output) : JsTestBase(output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task ARunawayDuringTheLaunchFailsTheStartWithItsReason(int attempt)
    {
        this.StartHost(JsOptions(null, spareProcesses: 0, Package("runaway-at-launch")));
        MiniAppStartException failed = await Assert.ThrowsAsync<MiniAppStartException>(() => this.OpenAsync("wx-js-at-launch"));
        this.Output.WriteLine($"attempt {attempt}: {failed.Message}");
        Assert.Contains("JavaScript stopped: ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("recursion", failed.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task ARunawayRightAfterTheLaunchStillLetsTheLaunchSucceed(int attempt)
    {
        this.StartHost(JsOptions(null, spareProcesses: 0, Package("runaway-after-launch")));
        MiniAppInfo info = await this.OpenAsync("wx-js-after-launch");
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(info.ProcessId);
        this.Output.WriteLine($"attempt {attempt}: {exit}");
        Assert.Equal(MiniProcessRuntime.ExitMiniProgramFailed, exit.ExitCode);
        Assert.Contains("recursion", exit.Reason, StringComparison.Ordinal);
    }
}
