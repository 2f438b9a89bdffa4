using System.Diagnostics;
using System.Text.Json.Nodes;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Demo;

/// <summary>
/// <c>demo</c>: a user signs in and the host opens three mini programs, each in its own process; each calls
/// <see cref="WellKnownEvents.GetUserId"/> on the main process at launch and answers a call from the host. Then a few
/// failures, a reactivation, a fourth mini program that takes over the least recently used one's process (the cap is
/// three here), the list of running mini programs, and a logout with a call in flight; last, a mini program written in
/// JavaScript (the sample package) with its console lines. Exit code 0 when every expected outcome was seen.
/// </summary>
public static class DemoCommand
{
    private static readonly string[] AppIds = ["wx-demo-weather", "wx-demo-shop", "wx-demo-notes"];

    /// <summary>Runs the demo.</summary>
    /// <param name="output">Where the transcript goes.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(TextWriter output)
    {
        var transcript = new DemoTranscript(output);
        int failures = 0;
        string dataDirectory = Path.Combine(Path.GetTempPath(), $"ipcb-demo-{Environment.ProcessId}");
        string sandboxes = Path.Combine(dataDirectory, "sandboxes");

        // The open APIs' store is a real SQLite file in the host's data directory.
        OpenApiStore store = await OpenApiStore.OpenAsync(Path.Combine(dataDirectory, "openapi.db"));
        MiniAppHost? hostRef = null;
        var profiles = new Dictionary<string, UserProfile> { ["u-1001"] = new("Ada", "ada@example.invalid", "+86 138 0000 0000", new byte[1024 * 1024]) };
        // What the mini program written in JavaScript logs goes into the transcript, and only there.
        var consoleLines = new MiniProgramConsoleLines(transcript);
        await using ServiceProvider provider = SampleHostServices.Create(transcript, store, () => hostRef?.UserId, profiles)
            .AddLogging(b => b.AddProvider(consoleLines)
                .AddFilter<MiniProgramConsoleLines>(MiniProgramConsoleLines.Category, LogLevel.Debug)
                .AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(MiniProgramConsoleLines.Category, LogLevel.None))
            .BuildServiceProvider();

        var options = new MiniAppHostOptions { MaxMiniProcesses = AppIds.Length, SandboxRoot = sandboxes };
        try
        {
            await using MiniAppHost host = MiniAppHost.Start(provider.CreateRegistry(IpcSide.Main), options, provider.GetRequiredService<ILoggerFactory>());
            hostRef = host;
            OpenApiService openApi = provider.GetRequiredService<OpenApiService>();
            host.OnLogout(async () => transcript.Line($"host     logout revoked {await openApi.RevokeAllAsync()} open-API session(s)"));
            host.MiniProcessExited += (_, e) => transcript.Line($"host     notice: {e}");
            transcript.Line($"host     listening on {host.PipePath}; at most {host.MaxMiniProcesses} mini processes");
            host.SignIn("u-1001");
            transcript.Line("host     user u-1001 signed in");
            failures += await RunStepsAsync(host, transcript, openApi, (SamplePaymentProvider)provider.GetRequiredService<IPaymentProvider>());
            failures += await RunJavaScriptAsync(host, transcript, consoleLines);
        }
        finally
        {
            await store.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }

        transcript.Line(failures == 0 ? "demo     done: every outcome as expected" : $"demo     done with {failures} unexpected outcome(s)");
        return failures == 0 ? 0 : 1;
    }

    private static async Task<int> RunStepsAsync(MiniAppHost host, DemoTranscript transcript, OpenApiService openApi, SamplePaymentProvider payments)
    {
        int failures = 0;

        // 1. Open three mini programs at once; each gets its own process.
        await Task.WhenAll(AppIds.Select(async appId =>
        {
            var clock = Stopwatch.StartNew();
            MiniAppInfo info = await host.StartMiniAppAsync(appId);
            transcript.Line($"host     opened {appId} as pid {info.ProcessId} in {clock.Elapsed.TotalMilliseconds:0.0} ms");
        }));

        // 2. The host calls each mini program (awaitable form); each answers with what the main process told it at launch.
        foreach (string appId in AppIds)
        {
            var clock = Stopwatch.StartNew();
            IpcResult result = await host.CallMiniProcessPluginAsync(appId, WellKnownEvents.GetAppInfo, null);
            double ms = clock.Elapsed.TotalMilliseconds;
            if (result.IsSuccess && result.Data.GetString("userId") == "u-1001")
            {
                transcript.Line($"host  -> {appId}: {WellKnownEvents.GetAppInfo} ok in {ms:0.00} ms; it runs as pid {result.Data.GetInt("pid")} and got userId {result.Data.GetString("userId")} ({result.Data.GetString("nickName")}) from main in {result.Data.GetLong("userCallMicros") / 1000.0:0.00} ms");
            }
            else
            {
                failures++;
                transcript.Line($"host  -> {appId}: UNEXPECTED {result}");
            }
        }

        // 3. The SDK's callback form; the callback runs exactly once.
        var callbackDone = new TaskCompletionSource<(bool, Bundle)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var callbackClock = Stopwatch.StartNew();
        host.CallMiniProcessPlugin(AppIds[0], WellKnownEvents.GetAppInfo, null, new IpcCallback((ok, bundle) => callbackDone.TrySetResult((ok, bundle))));
        (bool callbackOk, Bundle callbackBundle) = await callbackDone.Task.WaitAsync(TimeSpan.FromSeconds(30));
        transcript.Line($"host  -> {AppIds[0]}: callback form isSucc={callbackOk} in {callbackClock.Elapsed.TotalMilliseconds:0.00} ms, appId={callbackBundle.GetString("appId")}");
        failures += callbackOk ? 0 : 1;

        // 4. Warm calls: the first calls above include JIT and process start-up; these show the steady cost.
        var samples = new List<double>();
        for (int i = 0; i < 300; i++)
        {
            var clock = Stopwatch.StartNew();
            IpcResult warm = await host.CallMiniProcessPluginAsync(AppIds[2], WellKnownEvents.GetAppInfo, null);
            samples.Add(clock.Elapsed.TotalMicroseconds);
            failures += warm.IsSuccess ? 0 : 1;
        }

        samples.Sort();
        transcript.Line($"host  -> {AppIds[2]}: 300 more calls: p50 {samples[samples.Count / 2]:0} µs, p99 {samples[(int)(samples.Count * 0.99)]:0} µs (a warm-up, not a benchmark: see tests/IpcBroker.Benchmarks)");

        // 5. Failures come back as outcomes with a reason, never as hangs or exceptions.
        failures += await ExpectFailureAsync(transcript, host.CallMiniProcessPluginAsync("wx-not-running", WellKnownEvents.GetAppInfo, null), IpcErrorCode.ProcessNotRunning, "wx-not-running");
        failures += await ExpectFailureAsync(transcript, host.CallMiniProcessPluginAsync(AppIds[1], "NO_SUCH_EVENT", null), IpcErrorCode.NoHandler, AppIds[1]);

        // 6. Open APIs: the host makes a mini program call wx.* APIs, as its JavaScript would; the result JSON is printed.
        failures += await RunOpenApisAsync(host, transcript, openApi, payments);

        // 7. Reactivation: opening a running mini program makes it the most recently used; no new process.
        MiniAppInfo weather = await host.StartMiniAppAsync(AppIds[0]);
        transcript.Line($"host     reopened {AppIds[0]}: reactivated in pid {weather.ProcessId}, no new process");
        await host.CallMiniProcessPluginAsync(AppIds[2], WellKnownEvents.GetAppInfo, null);

        // 8. The cap: the least recently used mini program (wx-demo-shop) is stopped, and a fourth gets a new process in its slot.
        int shopPid = host.RunningMiniApps.Single(a => a.AppId == AppIds[1]).ProcessId;
        var capClock = Stopwatch.StartNew();
        MiniAppInfo maps = await host.StartMiniAppAsync("wx-demo-maps");
        IpcResult mapsInfo = await host.CallMiniProcessPluginAsync("wx-demo-maps", WellKnownEvents.GetAppInfo, null);
        IReadOnlyList<int> pids = host.ProcessIds;
        bool fresh = maps.ProcessId != shopPid && !pids.Contains(shopPid) && pids.Count <= host.MaxMiniProcesses && mapsInfo.Data.GetString("appId") == "wx-demo-maps";
        transcript.Line($"host     opened wx-demo-maps at the cap: {AppIds[1]} (least recently used) was stopped and its pid {shopPid} ended; wx-demo-maps {(fresh ? "got a new" : "UNEXPECTEDLY did not get a new")} pid {maps.ProcessId}; open and first call in {capClock.Elapsed.TotalMilliseconds:0.0} ms; {AppIds[1]} now: {(await host.CallMiniProcessPluginAsync(AppIds[1], WellKnownEvents.GetAppInfo, null)).ErrorCode}");
        failures += fresh ? 0 : 1;
        foreach (MiniAppInfo app in host.RunningMiniApps)
        {
            transcript.Line($"host     running: {app.AppId,-16} {app.VerType,-8} pid {app.ProcessId,-7} {app.State,-8} opened {app.StartedAt:HH:mm:ss.fff} last used {app.LastUsedAt:HH:mm:ss.fff}");
        }

        // 9. Logout with a call in flight: it fails with LoggedOut, and every mini process ends.
        Task<IpcResult> inFlight = host.CallMiniProcessPluginAsync(AppIds[0], WellKnownEvents.GetAppInfo, null);
        var logoutClock = Stopwatch.StartNew();
        await host.LogoutAsync();
        IpcResult interrupted = await inFlight;
        transcript.Line($"host     logged out in {logoutClock.Elapsed.TotalMilliseconds:0.0} ms; the call in flight: {(interrupted.IsSuccess ? "answered before the logout" : interrupted.ErrorCode.ToString())}; mini processes left: {host.ProcessIds.Count}");
        failures += host.ProcessIds.Count + host.RunningMiniApps.Count;
        bool sessionAfterLogout = await openApi.CheckSessionAsync(AppIds[1], "u-1001");
        transcript.Line($"main     checkSession for {AppIds[1]} and u-1001 after logout: {sessionAfterLogout}");
        failures += sessionAfterLogout ? 1 : 0;
        return failures;
    }

    /// <summary>
    /// 10. A mini program written in JavaScript (the sample package, copied beside the demo): the user signs in again, the host
    /// maps the package and opens it; its console lines come into the transcript as it calls wx.login, wx.checkSession,
    /// wx.getUserInfo, a payment twice and a custom API with intermediate states, up to its <c>demo: done</c>. Then a reopen
    /// (its onShow) and a stop (its onHide).
    /// </summary>
    private static async Task<int> RunJavaScriptAsync(MiniAppHost host, DemoTranscript transcript, MiniProgramConsoleLines consoleLines)
    {
        string package = Path.Combine(AppContext.BaseDirectory, "mini-programs", "wx-demo");
        if (!Directory.Exists(package))
        {
            // The sample package comes with the samples: without it the build is broken, which a skip would hide.
            transcript.Line($"js       UNEXPECTED: no sample package at {package}");
            return 1;
        }

        host.SignIn("u-1001");
        string appId = host.AddMiniProgram(package);
        transcript.Line($"host     user u-1001 signed in again; mapped {appId} to the JavaScript package {package}");
        var clock = Stopwatch.StartNew();
        MiniAppInfo info;
        try
        {
            info = await host.StartMiniAppAsync(appId);
        }
        catch (MiniAppStartException ex) when (ex.Message.Contains($"({IpcErrorCode.NoHandler}:", StringComparison.Ordinal))
        {
            // The sample mini executable runs JavaScript: one that does not is a broken build, which a skip would hide.
            transcript.Line($"js       UNEXPECTED: the mini executable runs no JavaScript ({ex.Message})");
            return 1;
        }
        catch (MiniAppStartException ex)
        {
            transcript.Line($"host     UNEXPECTED: {appId} did not start: {ex.Message}");
            return 1;
        }

        transcript.Line($"host     opened {appId} as pid {info.ProcessId}: its onLaunch and onShow ran, in {clock.Elapsed.TotalMilliseconds:0.0} ms");
        int failures = 0;
        bool done = await consoleLines.WaitForAsync(line => line.EndsWith("demo: done", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        transcript.Line(done ? $"host     {appId} said it is done in {clock.Elapsed.TotalMilliseconds:0.0} ms" : $"host     UNEXPECTED: {appId} did not say 'demo: done' within 30 s");
        failures += done ? 0 : 1;

        failures += await ReopenAndStopAsync(appId, () => host.StartMiniAppAsync(appId), () => host.StopMiniAppAsync(appId), consoleLines, transcript, TimeSpan.FromSeconds(5));
        return failures;
    }

    /// <summary>
    /// The JavaScript step's end: a reopen, whose onShow must log the sample's <c>demo: onShow</c> line, then a stop, whose
    /// onHide must log <c>demo: onHide</c>; each line awaited at most <paramref name="wait"/>, each missing one a failure.
    /// </summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="reopen">Reopens it.</param>
    /// <param name="stop">Stops it: true when it was running.</param>
    /// <param name="consoleLines">Its console lines.</param>
    /// <param name="transcript">Where the outcomes go.</param>
    /// <param name="wait">The longest wait for each line.</param>
    /// <returns>How many outcomes were not as expected.</returns>
    internal static async Task<int> ReopenAndStopAsync(string appId, Func<Task> reopen, Func<Task<bool>> stop, MiniProgramConsoleLines consoleLines, DemoTranscript transcript, TimeSpan wait)
    {
        int failures = 0;

        // The reopen's onShow runs in the background: its console line (only one logged after the reopen counts) is awaited, bounded.
        int before = consoleLines.Count;
        await reopen();
        bool shown = await consoleLines.WaitForAfterAsync(before, line => line.EndsWith("demo: onShow", StringComparison.Ordinal), wait);
        transcript.Line(shown ? $"host     reopened {appId}: its onShow ran" : $"host     UNEXPECTED: reopened {appId}, but its onShow logged nothing within {wait.TotalSeconds:0} s");
        failures += shown ? 0 : 1;

        before = consoleLines.Count;
        bool stopped = await stop();
        bool hidden = stopped && await consoleLines.WaitForAfterAsync(before, line => line.EndsWith("demo: onHide", StringComparison.Ordinal), wait);
        transcript.Line(
            !stopped ? $"host     UNEXPECTED: {appId} was not running when it was stopped"
            : hidden ? $"host     stopped {appId}: its onHide ran before it ended"
            : $"host     UNEXPECTED: stopped {appId}, but its onHide logged nothing within {wait.TotalSeconds:0} s");
        failures += hidden ? 0 : 1;
        return failures;
    }

    private static async Task<int> RunOpenApisAsync(MiniAppHost host, DemoTranscript transcript, OpenApiService openApi, SamplePaymentProvider payments)
    {
        string app = AppIds[1];
        int failures = 0;
        async Task<JsonObject> WxAsync(string api, string parameters, bool expectSuccess)
        {
            var clock = Stopwatch.StartNew();
            IpcResult call = await host.CallMiniProcessPluginAsync(app, WellKnownEvents.InvokeOpenApi, new Bundle().PutString("api", api).PutString("params", parameters));
            string text = call.IsSuccess ? call.Data.GetString("result")! : $"{{\"success\":false,\"ipc\":\"{call.ErrorCode}\"}}";
            JsonObject result = JsonNode.Parse(text)!.AsObject();
            transcript.Line($"{app} {api}({parameters}) in {clock.Elapsed.TotalMilliseconds:0.0} ms -> {(text.Length > 150 ? text[..150] + "..." : text)}");
            failures += result["success"]?.GetValue<bool>() == expectSuccess ? 0 : 1;
            return result;
        }

        JsonObject login = await WxAsync("wx.login", "{}", expectSuccess: true);
        string code = login["data"]?["code"]?.GetValue<string>() ?? string.Empty;
        (string OpenId, string SessionKey)? session = await openApi.CodeToSessionAsync(app, code);
        bool replayRefused = await openApi.CodeToSessionAsync(app, code) is null;
        transcript.Line($"backend  code2session({code}) -> openid {session?.OpenId}; the same code again -> {(replayRefused ? "refused" : "ACCEPTED")}");
        failures += session is null || !replayRefused ? 1 : 0;
        await WxAsync("wx.checkSession", "{}", expectSuccess: true);
        await WxAsync("wx.getUserInfo", "{}", expectSuccess: true);
        await WxAsync("wx.getNickName", "{}", expectSuccess: true);
        await WxAsync("wx.getPhoneNumber", "{}", expectSuccess: true);
        await WxAsync("wx.chooseAvatar", "{}", expectSuccess: true);
        await WxAsync("wx.requestPayment", "{\"orderId\":\"demo-1\",\"amount\":9.9,\"currency\":\"CNY\"}", expectSuccess: true);
        await WxAsync("wx.requestPayment", "{\"currency\":\"CNY\",\"amount\":9.9,\"orderId\":\"demo-1\"}", expectSuccess: true);
        await WxAsync("wx.requestPayment", "{\"orderId\":\"demo-1\",\"amount\":99}", expectSuccess: false);
        await WxAsync("wx.requestVirtualPayment", "{\"orderId\":\"demo-2\",\"amount\":1000000}", expectSuccess: false);
        await WxAsync("wx.teleport", "{}", expectSuccess: false);
        transcript.Line($"provider charges made: {payments.Charges} (order demo-1 asked twice, charged once; demo-2 declined)");
        failures += payments.Charges == 1 ? 0 : 1;
        return failures;
    }

    private static async Task<int> ExpectFailureAsync(DemoTranscript transcript, Task<IpcResult> call, IpcErrorCode expected, string target)
    {
        var clock = Stopwatch.StartNew();
        IpcResult result = await call;
        transcript.Line($"host  -> {target}: {result.ErrorCode} in {clock.Elapsed.TotalMilliseconds:0.00} ms: {result.ErrorMessage}");
        return result.ErrorCode == expected ? 0 : 1;
    }
}
