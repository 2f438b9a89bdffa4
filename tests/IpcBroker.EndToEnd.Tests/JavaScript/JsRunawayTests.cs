using IpcBroker.MainProcess.Hosting;
using IpcBroker.MiniProcess;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>
/// Mini programs that misbehave: an endless loop, allocation in one run or slowly across timers, endless recursion —
/// each stopped with exit code 4 and a reason in the host's exit notice, while another mini program keeps being served;
/// a stuck mini program still answers the host's stop; an exception in a callback reaches onError and the program goes on.
/// </summary>
public sealed class JsRunawayTests(ITestOutputHelper output) : JsTestBase(output)
{
    private const string Bystander = "wx-js-lifecycle";

    /// <summary>Short limits: a 2 s run, 16 MiB in one run, a 64 MiB live heap.</summary>
    private static readonly Dictionary<string, string> ShortLimits = new(StringComparer.Ordinal)
    {
        ["JavaScript__TaskTimeout"] = "00:00:02",
        ["JavaScript__MaxRunAllocationBytes"] = (16L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["JavaScript__MaxHeapBytes"] = (64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static TheoryData<string, string, string, string> Runaways => new()
    {
        { "runaway-loop", "wx-js-loop", "looping", "without yielding" },
        { "runaway-alloc", "wx-js-alloc", "allocating", "heap" },
        { "runaway-slow-alloc", "wx-js-slow-alloc", "allocating", "heap" },
        { "runaway-recursion", "wx-js-recursion", "recursing", "recursion" },
    };

    [Theory]
    [MemberData(nameof(Runaways))]
    public async Task ARunawayIsStoppedWithExitCode4AndItsReasonWhileOthersAreServed(string package, string appId, string started, string reasonWord)
    {
        this.StartHost(JsOptions(ShortLimits, spareProcesses: 0, Package("lifecycle"), Package(package)));
        MiniAppInfo bystander = await this.OpenAsync(Bystander);

        // The runaway starts at the reopen (its second onShow), after its launch was answered: a runaway during the
        // launch would fail the start instead.
        MiniAppInfo runaway = await this.OpenAsync(appId);
        await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, $": {started}$");
        if (package == "runaway-loop")
        {
            // The JS thread is stuck, not the process: it still answers the host.
            await this.AssertEchoesAsync(appId);
        }

        await this.AssertEchoesAsync(Bystander);
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(runaway.ProcessId);

        Assert.Equal(MiniProcessRuntime.ExitMiniProgramFailed, exit.ExitCode);
        Assert.False(exit.StoppedByHost);
        Assert.NotNull(exit.Reason);
        Assert.StartsWith("JavaScript stopped: ", exit.Reason, StringComparison.Ordinal);
        Assert.Contains(reasonWord, exit.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(exit.Reason, exit.ToString(), StringComparison.Ordinal);

        // The other mini program never noticed; the runaway one opens again, in a new process.
        await this.AssertEchoesAsync(Bystander);
        Assert.Equal(bystander.ProcessId, (await this.OpenAsync(Bystander)).ProcessId);
        MiniAppInfo relaunched = await this.OpenAsync(appId);
        Assert.NotEqual(runaway.ProcessId, relaunched.ProcessId);
        await this.AssertEchoesAsync(appId);
    }

    [Fact]
    public async Task AMiniProgramInAnEndlessLoopStillAnswersTheHostsStopAndExitsByItself()
    {
        const string appId = "wx-js-loop";
        var longRuns = new Dictionary<string, string>(StringComparer.Ordinal) { ["JavaScript__TaskTimeout"] = "00:05:00" };
        this.StartHost(JsOptions(longRuns, spareProcesses: 0, Package("runaway-loop")));
        MiniAppInfo info = await this.OpenAsync(appId);
        await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, ": looping$");
        await this.AssertEchoesAsync(appId);

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync(appId, cancellationToken: this.TimeoutToken)));
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(info.ProcessId);

        Assert.True(exit.StoppedByHost);
        Assert.Null(exit.Signal); // not killed: it ended by itself once onHide's wait was over
        Assert.False(IsAlive(info.ProcessId));
    }

    [Fact]
    public async Task AnExceptionInACallbackReachesOnErrorAndTheMiniProgramGoesOn()
    {
        const string appId = "wx-js-onerror";
        this.StartHost(JsOptions(null, spareProcesses: 0, Package("onerror")));

        // onShow throws: reported, and the launch still succeeds.
        MiniAppInfo info = await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, "^onerror: onError got .*thrown in onShow");
        await this.WaitForConsoleAsync(appId, "^onerror: onError got .*thrown in a timer");
        await this.WaitForConsoleAsync(appId, "^onerror: onError got .*thrown in a success callback");
        await this.WaitForConsoleAsync(appId, "^onerror: still running$");

        TestLogRecord reported = await this.WaitForLogAsync(r => r.Category == ConsoleCategory && r.Message.Contains("thrown in a timer", StringComparison.Ordinal) && r.Level == LogLevel.Error);
        Assert.StartsWith(appId + ": ", reported.Message, StringComparison.Ordinal);
        await this.AssertEchoesAsync(appId);
        Assert.True(IsAlive(info.ProcessId));
        Assert.Empty(this.Exits);
    }
}
