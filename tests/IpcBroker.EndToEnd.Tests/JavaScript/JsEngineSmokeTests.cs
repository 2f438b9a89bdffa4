using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MiniPrograms;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>The JavaScript runtime in a real TestMiniApp process, launched by calling <see cref="MiniProgramEvents.Launch"/> directly.</summary>
public sealed class JsEngineSmokeTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task ALaunchedMiniProgramLogsThroughConsoleAndRunsOnHideAtTheStop()
    {
        const string appId = "wx-js-smoke";
        this.StartHost();
        MiniAppInfo info = await this.OpenAsync(appId);
        IpcResult launched = await this.LaunchAsync(appId, """
            const greeting = require('./lib/greeting');
            App({
              onLaunch(o) { console.log(greeting('js') + ' at ' + o.path); },
              onHide() { console.warn('bye from onHide'); },
            });
            """);
        Assert.True(launched.IsSuccess, launched.ToString());
        await this.WaitForConsoleLineAsync(info.ProcessId, appId, "hello from js at app.js");

        IpcResult shown = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, MiniProgramEvents.Show, null));
        Assert.True(shown.IsSuccess, shown.ToString());
        IpcResult again = await this.LaunchAsync(appId, "App({});");
        Assert.Equal(IpcErrorCode.HandlerFailed, again.ErrorCode);
        Assert.Contains("launched already", again.ErrorMessage, StringComparison.Ordinal);

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync(appId)));
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(info.ProcessId);
        Assert.Equal(0, exit.ExitCode);
        await this.WaitForConsoleLineAsync(info.ProcessId, appId, "bye from onHide");
    }

    [Fact]
    public async Task ARunawayEndsTheProcessWithExitCode4AndItsReasonOnStandardOutput()
    {
        const string appId = "wx-js-runaway";
        this.StartHost(this.HostOptions with { Sandbox = new MiniSandboxOptions { Environment = new Dictionary<string, string> { ["JavaScript__TaskTimeout"] = "00:00:01" } } });
        MiniAppInfo info = await this.OpenAsync(appId);
        IpcResult launched = await this.LaunchAsync(appId, "App({ onLaunch() { setTimeout(() => { try { for (;;) {} } catch (e) { console.log('swallowed'); } }, 0); } });");
        Assert.True(launched.IsSuccess, launched.ToString());

        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(info.ProcessId);
        Assert.Equal(4, exit.ExitCode);
        Assert.False(exit.StoppedByHost);
        if (!exit.ToString().Contains("JavaScript stopped: ", StringComparison.Ordinal))
        {
            // Before the host reads exit reasons, the line is one of the child's output lines.
            await this.WaitForLogAsync(r => r.Message.Contains($"pid {info.ProcessId}", StringComparison.Ordinal) && r.Message.Contains("ipcbroker:exit-reason JavaScript stopped: ", StringComparison.Ordinal) && r.Message.Contains("without yielding", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(this.Logs.Records, r => r.Message.Contains("swallowed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheHostsStopIsAnsweredWhileTheMiniProgramLoops()
    {
        const string appId = "wx-js-busy";
        this.StartHost(this.HostOptions with { Sandbox = new MiniSandboxOptions { Environment = new Dictionary<string, string> { ["JavaScript__TaskTimeout"] = "00:10:00" } } });
        MiniAppInfo info = await this.OpenAsync(appId);
        IpcResult launched = await this.LaunchAsync(appId, "App({ onLaunch() { setTimeout(() => { console.log('looping'); for (;;) {} }, 0); }, onHide() { console.log('never'); } });");
        Assert.True(launched.IsSuccess, launched.ToString());
        await this.WaitForConsoleLineAsync(info.ProcessId, appId, "looping");

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync(appId)));
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(info.ProcessId);
        Assert.Equal(0, exit.ExitCode);
    }

    private Task<IpcResult> LaunchAsync(string appId, string appJs)
    {
        Bundle File(string path, string text) => new Bundle().PutString(MiniProgramEvents.PathKey, path).PutString(MiniProgramEvents.TextKey, text);
        Bundle request = new Bundle()
            .PutBundleList(MiniProgramEvents.FilesKey, [
                File("app.json", $$"""{ "appId": "{{appId}}", "entry": "app.js" }"""),
                File("app.js", appJs),
                File("lib/greeting.js", "module.exports = name => 'hello from ' + name;"),
            ])
            .PutString(MiniProgramEvents.EntryKey, "app.js");
        return this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, MiniProgramEvents.Launch, request, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(30) }));
    }

    /// <summary>Waits for a console line: a child output line before the host reads console lines, the host's own log line after.</summary>
    private Task<TestLogRecord> WaitForConsoleLineAsync(int pid, string appId, string text) =>
        this.WaitForLogAsync(r => r.Message.Contains(text, StringComparison.Ordinal)
            && (r.Message.Contains($"pid {pid}", StringComparison.Ordinal) || r.Message.Contains(appId, StringComparison.Ordinal))
            && !r.Message.Contains("ipcbroker:exit-reason", StringComparison.Ordinal));
}
