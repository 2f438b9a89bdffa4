using IpcBroker.MainProcess.Hosting;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>
/// A JavaScript mini program's life in a real mini process: the lifecycle the host drives, console lines in the host's
/// log, timers, Promises, require, and a package the mini process never holds (read anew at each launch).
/// </summary>
public sealed class JsRuntimeTests(ITestOutputHelper output) : JsTestBase(output)
{
    private const string Lifecycle = "wx-js-lifecycle";

    [Fact]
    public async Task OpenLaunchesThenShowsReopenShowsAndStopHidesBeforeTheExit()
    {
        // With a spare process: the package reaches a process started before the open, bound at the open.
        this.StartHost(JsOptions(null, spareProcesses: 1, Package("lifecycle")));

        MiniAppInfo first = await this.OpenAsync(Lifecycle);
        await this.WaitForConsoleAsync(Lifecycle, "^lifecycle: onShow 1$");
        MiniAppInfo again = await this.OpenAsync(Lifecycle);
        await this.WaitForConsoleAsync(Lifecycle, "^lifecycle: onShow 2$");
        Assert.Equal(first.ProcessId, again.ProcessId);
        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync(Lifecycle, cancellationToken: this.TimeoutToken)));
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(first.ProcessId);
        await this.WaitForConsoleAsync(Lifecycle, "^lifecycle: onHide");

        Assert.Equal(
            ["lifecycle: entry ran, getApp function", "lifecycle: onLaunch after 0 shows, options object", "lifecycle: onShow 1", "lifecycle: onShow 2", "lifecycle: onHide after 2 shows"],
            this.ConsoleLines(Lifecycle));
        Assert.True(exit.StoppedByHost);
        Assert.Null(exit.Signal); // it ended by itself after onHide, not killed
    }

    [Fact]
    public async Task ConsoleLinesReachTheHostsLogUnderTheirOwnCategoryAtTheirLevel()
    {
        const string appId = "wx-js-console";
        this.StartHost(JsOptions(null, spareProcesses: 0, Package("console")));

        await this.OpenAsync(appId);
        TestLogRecord log = await this.WaitForConsoleAsync(appId, "^console: at log");
        TestLogRecord info = await this.WaitForConsoleAsync(appId, "^console: at info$");
        TestLogRecord warn = await this.WaitForConsoleAsync(appId, "^console: at warn$");
        TestLogRecord error = await this.WaitForConsoleAsync(appId, "^console: at error$");
        TestLogRecord debug = await this.WaitForConsoleAsync(appId, "^console: at debug$");

        Assert.Contains("42", log.Message, StringComparison.Ordinal); // the second argument is printed too
        Assert.Equal(
            [LogLevel.Information, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Debug],
            new[] { log, info, warn, error, debug }.Select(r => r.Level));
    }

    [Fact]
    public async Task TimersPromisesAndRequireOfThePackagesOwnModulesWork()
    {
        const string appId = "wx-js-async";
        this.StartHost(JsOptions(null, spareProcesses: 0, Package("async")));

        await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, "^async: timers ");
        await this.WaitForConsoleAsync(appId, "^async: promise chain ");
        await this.WaitForConsoleAsync(appId, "^async: await ");
        await this.WaitForConsoleAsync(appId, "^async: microtask order ");
        await this.WaitForConsoleAsync(appId, "^async: caught ");

        Assert.Equal("5 twice=8 cached=true utilLoads=1", this.SingleLine(appId, "async: require add="));

        // Nothing outside the package is reachable: not a sibling package on the host's disk, not a file, not Node's modules.
        Assert.Equal("refused absolute=refused missing=refused fs=refused", this.SingleLine(appId, "async: require outside="));
        Assert.Equal("process=undefined fetch=undefined XMLHttpRequest=undefined", this.SingleLine(appId, "async: globals "));
        Assert.Equal("t1,t30 ticks=3", this.SingleLine(appId, "async: timers "));
        Assert.Equal("20", this.SingleLine(appId, "async: promise chain "));
        Assert.Equal("awaited", this.SingleLine(appId, "async: await "));
        Assert.Equal("planned", this.SingleLine(appId, "async: caught "));
        Assert.Equal("sync,job", this.SingleLine(appId, "async: microtask order "));
    }

    [Fact]
    public async Task ThePackageIsReadByTheHostAtEachLaunchAndNeverHandedToTheMiniProcess()
    {
        string copy = Path.Combine(Path.GetTempPath(), "ipcb-e2e-js-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(copy);
            foreach (string file in Directory.GetFiles(Package("version")))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            const string appId = "wx-js-version";
            this.StartHost(JsOptions(null, spareProcesses: 0, copy));
            MiniAppInfo first = await this.OpenAsync(appId);
            await this.WaitForConsoleAsync(appId, "^version: file says 1$");
            await this.WaitForConsoleAsync(appId, "^version: launched with true cache$");

            // The mini process has neither the directory's path nor a way to open it (no fs module: the runtime test above).
            string processView = await File.ReadAllTextAsync($"/proc/{first.ProcessId}/cmdline", this.TimeoutToken)
                + await File.ReadAllTextAsync($"/proc/{first.ProcessId}/environ", this.TimeoutToken);
            Assert.DoesNotContain(copy, processView, StringComparison.Ordinal);

            // A developer's edit shows at the next launch: the host reads the package anew, the module cache does not survive.
            await File.WriteAllTextAsync(Path.Combine(copy, "version.js"), "module.exports = { value: 2 };\n", this.TimeoutToken);
            await this.WithTimeoutAsync(this.Host.StopMiniAppAsync(appId, cancellationToken: this.TimeoutToken));
            await this.WaitForExitNoticeAsync(first.ProcessId);
            MiniAppInfo second = await this.OpenAsync(appId);
            await this.WaitForConsoleAsync(appId, "^version: file says 2$");

            Assert.NotEqual(first.ProcessId, second.ProcessId);
            Assert.Equal("module.exports = { value: 2 };\n", await File.ReadAllTextAsync(Path.Combine(copy, "version.js"), this.TimeoutToken));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
