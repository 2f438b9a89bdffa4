using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>The heap watchdog's timer runs while the mini program does and stops when it ends.</summary>
public class JsHeapWatchdogTests(ITestOutputHelper output) : TestBase(output)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task AStoppedWatchdogChecksNoMoreWhileARunningOneKeepsChecking()
    {
        var limits = new JsRunLimits(TimeSpan.FromSeconds(10), 16 * 1024 * 1024);
        using var stopped = new JsHeapWatchdog(long.MaxValue, limits, Tick);
        using var clock = new JsHeapWatchdog(long.MaxValue, limits, Tick);
        await this.WaitForChecksAsync(stopped, 1);
        stopped.Stop();
        int after = stopped.TimerChecks;

        // The running watchdog is the clock: many of its ticks pass while the stopped one makes none.
        await this.WaitForChecksAsync(clock, clock.TimerChecks + 50);
        Assert.True(stopped.IsStopped);
        Assert.Equal(after, stopped.TimerChecks);
    }

    [Fact]
    public async Task HideStopsTheWatchdog()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("App({});")));
        Assert.False(runtime.Program.Watchdog!.IsStopped);
        await this.WithTimeoutAsync(runtime.Program.HideAsync(TimeSpan.FromSeconds(5)));
        Assert.True(runtime.Program.Watchdog.IsStopped);
    }

    [Fact]
    public async Task AFailedLaunchStopsTheWatchdog()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory);
        Assert.NotNull(await this.WithTimeoutAsync(runtime.LaunchAsync("throw new Error('top-level');")));
        Assert.True(runtime.Program.Watchdog!.IsStopped);
    }

    [Fact]
    public async Task ARunawayStopsTheWatchdog()
    {
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.TaskTimeout = TimeSpan.FromMilliseconds(300));
        Assert.Contains("without yielding", await this.WithTimeoutAsync(runtime.LaunchAsync("for (;;) {}")));
        Assert.True(runtime.Program.Watchdog!.IsStopped);
    }

    private async Task WaitForChecksAsync(JsHeapWatchdog watchdog, int count)
    {
        while (watchdog.TimerChecks < count)
        {
            await Task.Delay(Tick, this.TimeoutToken);
        }
    }
}
