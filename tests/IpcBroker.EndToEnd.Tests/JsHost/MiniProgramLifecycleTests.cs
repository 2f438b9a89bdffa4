using System.Collections.Concurrent;
using System.Text;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.MiniPrograms;
using IpcBroker.Plugins;
using IpcBroker.Testing;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>
/// The host's lifecycle calls to a mini program written in JavaScript, against a fake mini side in memory that records
/// <see cref="MiniProgramEvents.Launch"/> and <see cref="MiniProgramEvents.Show"/>.
/// </summary>
public sealed class MiniProgramLifecycleTests(ITestOutputHelper output) : TestBase(output)
{
    private readonly string directory = Directory.CreateTempSubdirectory("ipcbroker-lifecycle-").FullName;
    private readonly ConcurrentQueue<(string AppId, string Event, Bundle Request)> received = new();

    /// <summary>What the fake mini side answers to Launch: null for Ok, else the failure's message.</summary>
    private Func<string, string?> launchOutcome = _ => null;

    /// <summary>Completed by the fake mini side when it receives Launch; a test may hold the answer back until it is released.</summary>
    private TaskCompletionSource launchHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? releaseLaunch;
    private TaskCompletionSource? releaseShow;
    private readonly TaskCompletionSource showHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Dispose()
    {
        Directory.Delete(this.directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public async Task AMappedMiniProgramIsLaunchedWithItsFilesAndEntryBeforeTheOpenReturns()
    {
        string package = this.WritePackage("wx-js", entry: "main.js", ("main.js", "App({});"), ("lib/a.js", "module.exports = 2;"));
        await using MiniAppHost host = this.StartHost();
        Assert.Equal("wx-js", host.AddMiniProgram(package));

        MiniAppInfo info = await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        (string appId, string eventId, Bundle request) = Assert.Single(this.received);
        Assert.Equal(("wx-js", MiniProgramEvents.Launch), (appId, eventId));
        Assert.Equal("main.js", request.GetString(MiniProgramEvents.EntryKey));
        IReadOnlyList<Bundle> files = request.GetBundleList(MiniProgramEvents.FilesKey)!;
        Assert.Equal(["app.json", "lib/a.js", "main.js"], files.Select(f => f.GetString(MiniProgramEvents.PathKey)));
        Assert.Equal("module.exports = 2;", files[1].GetString(MiniProgramEvents.TextKey));
        Assert.Equal(MiniAppState.Running, info.State);
        Assert.Equal(package, host.MiniPrograms["wx-js"]);
    }

    [Fact]
    public async Task AnUnmappedMiniProgramGetsNoLaunch()
    {
        await using MiniAppHost host = this.StartHost();

        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-plain"));
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-plain"));

        Assert.Empty(this.received);
    }

    [Fact]
    public async Task AFailedLaunchFailsTheStartWithTheMiniProgramsReasonAndStopsItsProcess()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "syntax error here"));
        this.launchOutcome = _ => "SyntaxError: Unexpected identifier 'error' at app.js:1";
        var exits = new ConcurrentQueue<MiniProcessExitedEventArgs>();
        await using MiniAppHost host = this.StartHost();
        host.MiniProcessExited += (_, e) => exits.Enqueue(e);
        host.AddMiniProgram(package);

        MiniAppStartException failure = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js")));

        Assert.Contains("SyntaxError: Unexpected identifier 'error' at app.js:1", failure.Message);
        Assert.Empty(host.RunningMiniApps);
        await this.WaitForLogAsync(r => r.EventId == 2143 && r.Message.Contains("SyntaxError", StringComparison.Ordinal));
        while (exits.IsEmpty)
        {
            await this.WithTimeoutAsync(this.Logs.WaitForAsync(r => r.EventId == 2005));
        }

        Assert.Empty(host.ProcessIds);
    }

    [Fact]
    public async Task AReopenSendsShowAndNoSecondLaunch()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));
        await this.WaitForLogAsync(r => r.EventId == 2144);

        Assert.Equal([MiniProgramEvents.Launch, MiniProgramEvents.Show], this.received.Select(r => r.Event));
    }

    [Fact]
    public async Task AFailedShowIsLoggedAndTheReopenStillSucceeds()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        await using MiniAppHost host = this.StartHost(showFails: true);
        host.AddMiniProgram(package);
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        MiniAppInfo reopened = await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        Assert.Equal(MiniAppState.Running, reopened.State);
        Assert.Contains("onShow threw", (await this.WaitForLogAsync(r => r.EventId == 2145)).Message);
    }

    [Fact]
    public async Task AStopWhileOnShowRunsIsNotAWarning()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        this.releaseShow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));
        await this.WithTimeoutAsync(this.showHeld.Task);

        Assert.True(await this.WithTimeoutAsync(host.StopMiniAppAsync("wx-js")));

        await this.WaitForLogAsync(r => r.EventId == 2148);
        Assert.DoesNotContain(this.Logs.Records, r => r.EventId == 2145);
    }

    [Fact]
    public async Task ThePackageIsReadAnewAtEachLaunch()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "first"));
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));
        await this.WithTimeoutAsync(host.StopMiniAppAsync("wx-js"));

        File.WriteAllText(Path.Combine(package, "app.js"), "second");
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        Assert.Equal(["first", "second"], this.received.Select(r => r.Request.GetBundleList(MiniProgramEvents.FilesKey)!.Single(f => f.GetString(MiniProgramEvents.PathKey) == "app.js").GetString(MiniProgramEvents.TextKey)));
    }

    [Fact]
    public async Task APackageBrokenSinceItWasMappedFailsTheStart()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);
        File.Delete(Path.Combine(package, "app.json"));

        MiniAppStartException failure = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js")));

        Assert.Contains("'app.json' is missing", failure.Message);
        Assert.Empty(this.received);
    }

    [Fact]
    public async Task APackageThatCannotBeReadAtTheLaunchFailsTheStartAndStopsItsProcess()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);

        // Tests run as root, where no mode bit stops a read: the I/O error is the reader's.
        host.Lifecycle.ReadPackage = _ => throw new IOException("Input/output error");
        MiniAppStartException failure = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js")));

        Assert.Contains($"the mini program package '{package}' cannot be read (Input/output error)", failure.Message);
        Assert.Empty(this.received);
        Assert.Empty(host.RunningMiniApps);
        while (host.ProcessIds.Count > 0)
        {
            await this.WithTimeoutAsync(this.Logs.WaitForAsync(r => r.EventId == 2005));
        }
    }

    [Fact]
    public async Task TheOptionsMapIsCheckedAtTheHostsStart()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        var options = new MiniAppHostOptions { MiniPrograms = { ["wx-other"] = package } };

        IpcConfigurationException refused = Assert.Throws<IpcConfigurationException>(() => this.StartHost(options: options));

        Assert.Contains("is the mini program 'wx-js'", refused.Message);
    }

    [Fact]
    public async Task TheOptionsMapLaunchesItsPackages()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        await using MiniAppHost host = this.StartHost(options: new MiniAppHostOptions { MiniPrograms = { ["wx-js"] = package } });

        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        Assert.Equal(MiniProgramEvents.Launch, Assert.Single(this.received).Event);
    }

    [Fact]
    public async Task ALogoutDuringTheLaunchFailsTheStartOnceAndLeavesNoProcess()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        this.releaseLaunch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);
        Task<MiniAppInfo> start = host.StartMiniAppAsync("wx-js");
        await this.WithTimeoutAsync(this.launchHeld.Task);

        await this.WithTimeoutAsync(host.LogoutAsync());

        await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(start));
        Assert.Empty(host.RunningMiniApps);
        Assert.Empty(host.ProcessIds);
        this.releaseLaunch.TrySetResult();
    }

    [Fact]
    public async Task AStopDuringTheLaunchWaitsForItThenStopsTheMiniProgram()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        this.releaseLaunch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using MiniAppHost host = this.StartHost();
        host.AddMiniProgram(package);
        Task<MiniAppInfo> start = host.StartMiniAppAsync("wx-js");
        await this.WithTimeoutAsync(this.launchHeld.Task);

        Task<bool> stop = host.StopMiniAppAsync("wx-js");
        await AssertStillPendingAsync(stop);
        this.releaseLaunch.TrySetResult();

        await this.WithTimeoutAsync(start);
        Assert.True(await this.WithTimeoutAsync(stop));
        Assert.Empty(host.RunningMiniApps);
    }

    [Fact]
    public async Task ALaunchThatNeverAnswersFailsTheStartAtItsDeadline()
    {
        string package = this.WritePackage("wx-js", entry: null, ("app.js", "App({});"));
        this.releaseLaunch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Long enough that the in-memory connect leaves time for the launch, short of the test's own timeout: the launch
        // is never answered, so only the start's deadline can end the start.
        await using MiniAppHost host = this.StartHost(options: new MiniAppHostOptions { StartTimeout = UnexpectedTimeout / 4 });
        host.AddMiniProgram(package);

        MiniAppStartException failure = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js")));

        // On a machine so loaded that the connect alone took the deadline, the launch was never sent: the start ended at
        // its deadline all the same, which is what this test is about.
        if (failure.Message.Contains("did not launch", StringComparison.Ordinal))
        {
            // The launch was sent, and its call ran out of the start's time.
            Assert.True(this.launchHeld.Task.IsCompleted);
            Assert.Contains("Timeout", failure.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("no time was left of the start's deadline", failure.Message, StringComparison.Ordinal);
        }

        Assert.Empty(host.RunningMiniApps);
        this.releaseLaunch.TrySetResult();
    }

    private MiniAppHost StartHost(bool showFails = false, MiniAppHostOptions? options = null)
    {
        var transport = new InMemoryMiniProcessTransport(
            (appId, registry, main) =>
            {
                registry.AddHandler(MiniProgramEvents.Launch, (IpcRequest request) =>
                {
                    this.received.Enqueue((appId, MiniProgramEvents.Launch, request.Data));
                    this.launchHeld.TrySetResult();
                    _ = this.AnswerLaunchAsync(appId, request);
                });
                registry.AddHandler(MiniProgramEvents.Show, (IpcRequest request) =>
                {
                    this.received.Enqueue((appId, MiniProgramEvents.Show, request.Data));
                    this.showHeld.TrySetResult();
                    if (this.releaseShow is not null)
                    {
                        // Never answered: the test stops the mini program meanwhile.
                        return;
                    }

                    if (showFails)
                    {
                        request.Fail("onShow threw");
                    }
                    else
                    {
                        request.Ok();
                    }
                });
            },
            IpcConnectionOptions.Default,
            this.LoggerFactory);
        return MiniAppHost.StartWithTransport(new IpcEventRegistry(IpcSide.Main), (options ?? new MiniAppHostOptions()) with { SpareProcesses = 0 }, this.LoggerFactory, transport);
    }

    private async Task AnswerLaunchAsync(string appId, IpcRequest request)
    {
        if (this.releaseLaunch is { } release)
        {
            await release.Task.WaitAsync(this.TimeoutToken);
        }

        if (this.launchOutcome(appId) is { } reason)
        {
            request.Fail(reason);
        }
        else
        {
            request.Ok();
        }
    }

    private string WritePackage(string appId, string? entry, params (string Path, string Text)[] files)
    {
        string root = Path.Combine(this.directory, appId);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "app.json"), entry is null ? $$"""{ "appId": "{{appId}}" }""" : $$"""{ "appId": "{{appId}}", "entry": "{{entry}}" }""");
        foreach ((string path, string text) in files)
        {
            string full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text, new UTF8Encoding(false));
        }

        return root;
    }
}
