using IpcBroker.MainProcess.Demo;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.JavaScript.Tests.JsHost;

/// <summary>The demo's JavaScript step counts a reopen without its onShow line, and a stop without its onHide line, as failures.</summary>
public class DemoJavaScriptStepTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task AReopenAndAStopThatLogNothingAreTwoFailuresAndAnEarlierOnShowDoesNotCount()
    {
        var lines = new MiniProgramConsoleLines(new DemoTranscript(TextWriter.Null));
        ILogger console = lines.CreateLogger(MiniProgramConsoleLines.Category);
        console.LogInformation("wx-js-demo: demo: onShow");

        int failures = await this.WithTimeoutAsync(DemoCommand.ReopenAndStopAsync("wx-js-demo", () => Task.CompletedTask, () => Task.FromResult(true), lines, new DemoTranscript(TextWriter.Null), ExpectedTimeout));

        Assert.Equal(2, failures);
    }

    [Fact]
    public async Task AReopenThatRunsOnShowAndAStopThatRunsOnHideAreNoFailures()
    {
        var lines = new MiniProgramConsoleLines(new DemoTranscript(TextWriter.Null));
        ILogger console = lines.CreateLogger(MiniProgramConsoleLines.Category);
        var transcript = new StringWriter();

        int failures = await this.WithTimeoutAsync(DemoCommand.ReopenAndStopAsync(
            "wx-js-demo",
            () => Task.Run(() => console.LogInformation("wx-js-demo: demo: onShow")),
            () => Task.Run(() => { console.LogInformation("wx-js-demo: demo: onHide"); return true; }),
            lines,
            new DemoTranscript(transcript),
            UnexpectedTimeout));

        Assert.Equal(0, failures);
        Assert.Contains("its onHide ran before it ended", transcript.ToString(), StringComparison.Ordinal);
    }
}
