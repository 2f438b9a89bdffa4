using IpcBroker.HostileMini;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MiniPrograms;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>
/// What a mini program written in JavaScript says on its standard output: console lines in the host's log under their own
/// category and level, an exit reason in its exit notice.
/// </summary>
public sealed class MiniProgramOutputTests(ITestOutputHelper output) : HostTestBase(output)
{
    private static readonly MiniAppKey Key = new("wx-js", MiniAppVerType.Release);

    [Theory]
    [InlineData("log", LogLevel.Information)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("debug", LogLevel.Debug)]
    public void AConsoleLineIsLoggedUnderTheMiniProgramCategoryAtItsLevel(string method, LogLevel level)
    {
        ChildOutputLog log = this.NewLog(100);

        log.Write("stdout", MiniProgramOutputLine.FormatConsole(method, "hello from JS"));

        TestLogRecord record = Assert.Single(this.Logs.Records);
        Assert.Equal(("IpcBroker.MiniProgram", level, 2146, "wx-js: hello from JS"), (record.Category, record.Level, record.EventId, record.Message));
    }

    [Fact]
    public void ConsoleLinesAreLoggedWhenChildOutputIsNotButOtherLinesAreNot()
    {
        using ILoggerFactory informationOnly = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(this.Logs));
        var log = new ChildOutputLog(informationOnly.CreateLogger("IpcBroker.MainProcess.ChildOutput"), informationOnly.CreateLogger(ChildOutputLog.MiniProgramCategory), () => Key, 100, TimeSpan.FromHours(1));

        log.Write("stdout", "an ordinary line");
        log.Write("stdout", MiniProgramOutputLine.FormatConsole("info", "shown"));
        log.Write("stdout", MiniProgramOutputLine.FormatConsole("debug", "not shown at Information"));

        Assert.Equal(["wx-js: shown"], this.Logs.Records.Select(r => r.Message));
    }

    [Fact]
    public void ConsoleLinesShareTheLineBudget()
    {
        ChildOutputLog log = this.NewLog(3);

        for (int i = 0; i < 10; i++)
        {
            log.Write("stdout", MiniProgramOutputLine.FormatConsole("log", $"line {i}"));
        }

        log.Complete();
        Assert.Equal(3, this.Logs.Records.Count(r => r.EventId == 2146));
        Assert.Contains("7 lines dropped", Assert.Single(this.Logs.Records, r => r.EventId == 2016).Message);
    }

    [Fact]
    public void AConsoleLineOnStandardErrorIsAnOrdinaryLine()
    {
        ChildOutputLog log = this.NewLog(100);

        log.Write("stderr", MiniProgramOutputLine.FormatConsole("error", "forged"));

        Assert.Equal(2007, Assert.Single(this.Logs.Records).EventId);
    }

    [Fact]
    public void TheLastExitReasonIsKeptCut()
    {
        ChildOutputLog log = this.NewLog(100);
        Assert.Null(log.ExitReason);

        log.Write("stdout", MiniProgramOutputLine.FormatExitReason("first"));
        log.Write("stdout", "ipcbroker:exit-reason " + new string('r', 10_000));
        log.Write("stderr", MiniProgramOutputLine.FormatExitReason("not from standard error"));

        Assert.Equal(new string('r', MiniProgramOutputLine.MaxTextLength) + "…", log.ExitReason);
    }

    [Fact]
    public void TheReasonIsInTheExitNoticesText()
    {
        var notice = new MiniProcessExitedEventArgs("wx-js", MiniAppVerType.Release, 42, 4, stoppedByHost: false) { Reason = "JavaScript stopped: ran 10 s without yielding" };

        Assert.Equal("wx-js (Release) pid 42 exited with code 4: JavaScript stopped: ran 10 s without yielding", notice.ToString());
        Assert.Null(new MiniProcessExitedEventArgs("wx-js", MiniAppVerType.Release, 42, 0, stoppedByHost: true).Reason);
    }

    [Fact]
    public async Task AMiniProcessThatWritesItsExitReasonAndExitsHasItInItsExitNoticeAndItsConsoleLinesInTheLog()
    {
        string scratch = Path.Combine(Path.GetTempPath(), "ipcb-reason-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(scratch);
        try
        {
            var script = HostileMiniScript.Create(scratch, FaultTests.HostileMiniPath, TestMiniAppPath);
            this.StartHost(new MiniAppHostOptions
            {
                MiniExecutablePath = script.ScriptPath,
                Sandbox = new MiniSandboxOptions { ReadOnlyPaths = script.ReadOnlyPaths, ReadWritePaths = script.ReadWritePaths },
                SpareProcesses = 0,
            });
            script.Arm("exit-reason");
            MiniAppInfo info = await this.OpenAsync("wx-reason");

            _ = this.Host.CallMiniProcessPluginAsync("wx-reason", FaultEvents.Go, null);
            MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(info.ProcessId);

            Assert.Equal(4, exit.ExitCode);
            Assert.False(exit.StoppedByHost);
            Assert.NotNull(exit.Reason);
            Assert.StartsWith("JavaScript stopped: ran 1000 ms without yielding ?[31mxxx", exit.Reason);
            Assert.InRange(exit.Reason!.Length, 100, MiniProgramOutputLine.MaxTextLength + 1);
            Assert.Contains(exit.Reason, exit.ToString());
            Assert.Contains(exit.Reason, (await this.WaitForLogAsync(r => r.EventId == 2005 && r.Message.Contains($"pid {info.ProcessId}", StringComparison.Ordinal))).Message);
            TestLogRecord[] console = this.Logs.Records.Where(r => r.Category == ChildOutputLog.MiniProgramCategory).ToArray();
            Assert.Equal(
                [(LogLevel.Information, "wx-reason: exit-reason: about to go"), (LogLevel.Warning, "wx-reason: a warning\\nwith a second line"), (LogLevel.Error, "wx-reason: an error")],
                console.Select(r => (r.Level, r.Message)));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private ChildOutputLog NewLog(int limit) =>
        new(this.LoggerFactory.CreateLogger("IpcBroker.MainProcess.ChildOutput"), this.LoggerFactory.CreateLogger(ChildOutputLog.MiniProgramCategory), () => Key, limit, TimeSpan.FromHours(1));
}
