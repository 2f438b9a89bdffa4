using System.Text.Json;
using IpcBroker.MiniProcess.OpenApi;
using Jint;
using Jint.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// The JavaScript mini program of this process: its launch (engine, globals, entry script, <c>onLaunch</c>,
/// <c>onShow</c>), its later <c>onShow</c>s and its <c>onHide</c>. Every wait here is bounded whatever the JavaScript does.
/// </summary>
internal sealed class JsMiniProgram : IDisposable
{
    private readonly JavaScriptOptions options;
    private readonly IJsConsoleSink console;
    private readonly IMiniProgramFailureSink failure;
    private readonly IEnumerable<IJsGlobalInstaller> installers;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<TaskCompletionSource<string?>> pending = [];
    private int launched;
    private JsEventLoop? loop;
    private JsRunGuard? guard;
    private JsHeapWatchdog? watchdog;
    private JsApp? app;
    private volatile bool running;
    private string lastPath = string.Empty;

    /// <summary>Initializes a new instance of the <see cref="JsMiniProgram"/> class.</summary>
    /// <param name="options">The bounds.</param>
    /// <param name="console">Where console lines go.</param>
    /// <param name="failure">Where a runaway is reported.</param>
    /// <param name="installers">What fills the <c>wx</c> object.</param>
    /// <param name="logger">The runtime's log.</param>
    public JsMiniProgram(IOptions<JavaScriptOptions> options, IJsConsoleSink console, IMiniProgramFailureSink failure, IEnumerable<IJsGlobalInstaller> installers, ILogger<JsMiniProgram> logger)
    {
        this.options = options.Value;
        this.console = console;
        this.failure = failure;
        this.installers = installers;
        this.logger = logger;
    }

    /// <summary>Gets the JavaScript thread, or null before the launch.</summary>
    public IJsThread? Thread => this.loop;

    /// <summary>Gets the heap watchdog, or null before the launch (tests).</summary>
    internal JsHeapWatchdog? Watchdog => this.watchdog;

    /// <summary>Gets a token that fires when the mini program ends.</summary>
    public CancellationToken Stopping => this.stopping.Token;

    /// <summary>Gets the longest any lifecycle answer is withheld.</summary>
    private TimeSpan AnswerTimeout => (2 * this.options.TaskTimeout) + TimeSpan.FromSeconds(1);

    /// <summary>Launches the package: answered once the entry script ran, <c>App()</c> was called, and <c>onLaunch</c> then <c>onShow</c> ran.</summary>
    /// <param name="files">The package's files: path → text.</param>
    /// <param name="entry">The entry script's path.</param>
    /// <param name="context">The mini program this process serves.</param>
    /// <returns>Null when launched, else why the package cannot run.</returns>
    public async Task<string?> LaunchAsync(IReadOnlyDictionary<string, string> files, string entry, MiniAppContext context)
    {
        if (Interlocked.Exchange(ref this.launched, 1) != 0)
        {
            return "the mini program was launched already: a process launches one mini program once.";
        }

        string? reason = CheckPackage(files, entry, context.AppId);
        if (reason is not null)
        {
            JsLog.LaunchFailed(this.logger, context.AppId, reason);
            return reason;
        }

        this.Start();
        TaskCompletionSource<string?> answer = this.NewAnswer();
        this.loop!.Post(() => this.RunLaunch(files, entry, context, answer));
        reason = await this.WaitAsync(answer, "launching").ConfigureAwait(false);
        if (reason is null)
        {
            this.running = true;
            JsLog.Launched(this.logger, context.AppId, entry, files.Count);
        }
        else
        {
            // What the failed entry script left (timers, posted work) never runs: the host stops this process next.
            this.End();
            JsLog.LaunchFailed(this.logger, context.AppId, reason);
        }

        return reason;
    }

    /// <summary>Runs <c>onShow</c> again (the host reopened the mini program).</summary>
    /// <returns>Null once it ran, else why it could not.</returns>
    public Task<string?> ShowAsync()
    {
        if (!this.running || this.loop is not { } current)
        {
            return Task.FromResult<string?>("no JavaScript mini program runs in this process.");
        }

        TaskCompletionSource<string?> answer = this.NewAnswer();
        if (!current.Post(() => this.RunAnswering(answer, () => this.app!.Call("onShow", this.ShowOptions(null)))))
        {
            return Task.FromResult<string?>("the JavaScript mini program has ended.");
        }

        return this.WaitAsync(answer, "showing");
    }

    /// <summary>Runs <c>onHide</c>, waiting at most <paramref name="timeout"/>, then ends the mini program.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns>A task that completes when <c>onHide</c> ran or the wait is over.</returns>
    public async Task HideAsync(TimeSpan timeout)
    {
        if (this.loop is not { } current)
        {
            return;
        }

        var hidden = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (this.running && current.Post(() =>
        {
            try
            {
                this.app!.Call("onHide");
            }
            finally
            {
                hidden.TrySetResult();
            }
        }))
        {
            Task done = await Task.WhenAny(hidden.Task, current.Completion, Task.Delay(timeout)).ConfigureAwait(false);
            if (done != hidden.Task && done != current.Completion)
            {
                JsLog.HideTimedOut(this.logger, timeout.TotalMilliseconds);
            }
        }

        this.End();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        this.End();
        this.watchdog?.Dispose();
        this.stopping.Dispose();
    }

    private static string? CheckPackage(IReadOnlyDictionary<string, string> files, string entry, string appId)
    {
        if (!files.TryGetValue(IpcBroker.MiniPrograms.MiniProgramEvents.ManifestFile, out string? manifest))
        {
            return "the package has no app.json.";
        }

        string? declared;
        try
        {
            using JsonDocument document = JsonDocument.Parse(manifest);
            declared = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("appId", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        }
        catch (JsonException ex)
        {
            return "app.json is not JSON: " + ex.Message;
        }

        if (declared is null)
        {
            return "app.json is not a JSON object with a string appId.";
        }

        if (!string.Equals(declared, appId, StringComparison.Ordinal))
        {
            return $"app.json's appId '{declared}' is not this process's appId '{appId}'.";
        }

        return files.ContainsKey(entry) ? null : $"the package has no entry script {entry}.";
    }

    private void Start()
    {
        var limits = new JsRunLimits(this.options.TaskTimeout, this.options.StackSizeBytes);
        this.watchdog = new JsHeapWatchdog(this.options.MaxHeapBytes, limits);
        this.guard = new JsRunGuard(this.options, limits, this.watchdog, this.OnRunaway);
        this.loop = new JsEventLoop(this.options.StackSizeBytes, this.options.MaxTimers, this.guard.Run);
        _ = this.loop.Completion.ContinueWith(static (_, state) => ((JsMiniProgram)state!).CancelStopping(), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The launch's first turn, on the JavaScript thread: the engine, its globals, the installers, the entry script; then onLaunch and onShow as two more turns.</summary>
    private void RunLaunch(IReadOnlyDictionary<string, string> files, string entry, MiniAppContext context, TaskCompletionSource<string?> answer)
    {
        JsRunGuard guard = this.guard!;
        Engine engine = JsEngineFactory.Create(this.options, guard.Limits);
        var app = new JsApp(engine, this.console, guard.Classify);
        this.app = app;
        guard.Engine = engine;
        guard.ReportError = app.ReportError;
        guard.ReportRejections = app.ReportRejections;
        JsConsole.Install(engine, this.console);
        JsTimersGlobals.Install(engine, this.loop!, this.options.MaxTimers);
        var wx = new Jint.Native.JsObject(engine);
        engine.SetValue("wx", wx);
        var loader = new JsModuleLoader(engine, files);
        engine.SetValue("require", new Jint.Runtime.Interop.ClrFunction(engine, "require", (_, args) => loader.RunMain(args.Length > 0 ? args[0].ToString() : string.Empty)));
        foreach (IJsGlobalInstaller installer in this.installers)
        {
            try
            {
                installer.Install(new JsInstallContext(engine, wx, this.loop!, context, this.logger, this.stopping.Token));
            }
            catch (Exception ex) when (guard.Classify(ex) is null)
            {
                JsLog.InstallerFailed(this.logger, ex, installer.GetType().FullName ?? "?");
                answer.TrySetResult($"the JavaScript runtime could not be set up ({installer.GetType().Name} failed: {ex.Message}).");
                return;
            }
        }

        try
        {
            app.RunEntry(() => loader.RunMain(entry));
        }
        catch (Exception ex) when (guard.Classify(ex) is null)
        {
            app.ReportError(ex);
            answer.TrySetResult("the entry script failed: " + (ex is Jint.Runtime.JavaScriptException { Error: Jint.Native.Object.ObjectInstance error } ? JsConsole.ErrorText(error) : ex.Message));
            return;
        }

        if (app.Object is null)
        {
            answer.TrySetResult($"the entry script {entry} did not call App().");
            return;
        }

        // Each callback gets its own options object: what onLaunch changes in its copy, onShow does not see.
        JsValue launchOptions = this.ShowOptions(entry);
        JsValue showOptions = this.ShowOptions(entry);
        this.loop!.Post(() => app.Call("onLaunch", launchOptions));
        this.loop.Post(() => this.RunAnswering(answer, () => app.Call("onShow", showOptions)));
    }

    private JsValue ShowOptions(string? entry)
    {
        Engine engine = this.guard!.Engine!;
        var options = new Jint.Native.JsObject(engine);
        options.Set("path", entry ?? this.lastPath);
        options.Set("query", new Jint.Native.JsObject(engine));
        options.Set("scene", 1001);
        this.lastPath = entry ?? this.lastPath;
        return options;
    }

    /// <summary>
    /// Runs a callback and answers once it ran, also when it threw (the guard reports the throw); a runaway is not
    /// answered here: the guard's runaway answers every pending call with its reason.
    /// </summary>
    private void RunAnswering(TaskCompletionSource<string?> answer, Action callback)
    {
        try
        {
            callback();
        }
        catch (Exception ex) when (this.guard!.Classify(ex) is null)
        {
            answer.TrySetResult(null);
            throw;
        }

        answer.TrySetResult(null);
    }

    private TaskCompletionSource<string?> NewAnswer()
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (this.pending)
        {
            this.pending.Add(answer);
        }

        return answer;
    }

    private async Task<string?> WaitAsync(TaskCompletionSource<string?> answer, string what)
    {
        try
        {
            Task done = await Task.WhenAny(answer.Task, this.loop!.Completion, Task.Delay(this.AnswerTimeout)).ConfigureAwait(false);
            return done == answer.Task ? await answer.Task.ConfigureAwait(false)
                : this.guard!.Runaway ?? (done == this.loop.Completion ? "the JavaScript mini program has ended." : $"the JavaScript mini program did not finish {what} within {this.AnswerTimeout.TotalSeconds:0.#} s.");
        }
        finally
        {
            lock (this.pending)
            {
                this.pending.Remove(answer);
            }
        }
    }

    /// <summary>On the JavaScript thread, once: the run broke a bound. The mini program ends; the process is told to exit.</summary>
    private void OnRunaway(string reason)
    {
        JsLog.Runaway(this.logger, reason);

        // Ended before anyone hears of it: from then on Post returns false.
        this.End();
        TaskCompletionSource<string?>[] waiting;
        lock (this.pending)
        {
            waiting = [.. this.pending];
        }

        foreach (TaskCompletionSource<string?> answer in waiting)
        {
            answer.TrySetResult(reason);
        }

        this.failure.Fail(reason);
    }

    private void End()
    {
        this.running = false;
        this.loop?.End();
        this.watchdog?.Stop();
        this.CancelStopping();
    }

    private void CancelStopping()
    {
        try
        {
            this.stopping.Cancel();
        }
        catch (AggregateException ex)
        {
            this.logger.LogDebug(ex, "A callback of the mini program's end threw.");
        }
        catch (ObjectDisposedException)
        {
            // Disposed with the services.
        }
    }
}
