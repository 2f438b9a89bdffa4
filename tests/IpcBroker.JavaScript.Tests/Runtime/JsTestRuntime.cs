using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.MiniProcess.OpenApi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>A JavaScript mini program run in process: an in-memory package, the console and the runaway captured.</summary>
internal sealed class JsTestRuntime : IDisposable
{
    public const string AppId = "wx-test-js";

    public JsTestRuntime(ILoggerFactory loggers, Action<JavaScriptOptions>? configure = null, params IJsGlobalInstaller[] installers)
    {
        // No live-heap bound unless a test sets one: the heap watchdog reads the whole process's heap, which every test
        // running at once shares (JsLiveHeapTests, which set one, run alone).
        var options = new JavaScriptOptions { TaskTimeout = TimeSpan.FromSeconds(2), HideTimeout = TimeSpan.FromSeconds(2), MaxHeapBytes = long.MaxValue };
        configure?.Invoke(options);
        this.Options = options;
        this.Program = new JsMiniProgram(Microsoft.Extensions.Options.Options.Create(options), this.Console, this.Failure, installers, loggers.CreateLogger<JsMiniProgram>());
    }

    public JavaScriptOptions Options { get; }

    public CapturedConsole Console { get; } = new();

    public CapturedFailure Failure { get; } = new();

    public JsMiniProgram Program { get; }

    public static Dictionary<string, string> Package(string appJs, params (string Path, string Text)[] more)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["app.json"] = $$"""{ "appId": "{{AppId}}", "entry": "app.js" }""",
            ["app.js"] = appJs,
        };
        foreach ((string path, string text) in more)
        {
            files[path] = text;
        }

        return files;
    }

    public static MiniAppContext Context(string appId = AppId) => new(appId, MiniAppVerType.Develop, null, new NoMainProcess());

    public Task<string?> LaunchAsync(string appJs, params (string Path, string Text)[] more) =>
        this.Program.LaunchAsync(Package(appJs, more), "app.js", Context());

    public void Dispose() => this.Program.Dispose();

    private sealed class NoMainProcess : IMainProcessCaller
    {
        public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(IpcResult.Failure(IpcErrorCode.HandlerFailed, "no main process in this test"));
    }
}

/// <summary>The console lines a mini program wrote, in order, with a wait for one.</summary>
internal sealed class CapturedConsole : IJsConsoleSink
{
    private readonly List<(string Level, string Text)> lines = [];
    private readonly List<(Func<(string Level, string Text), bool> Match, TaskCompletionSource<(string Level, string Text)> Found)> waiters = [];

    public IReadOnlyList<(string Level, string Text)> Lines
    {
        get
        {
            lock (this.lines)
            {
                return [.. this.lines];
            }
        }
    }

    public IReadOnlyList<string> Texts => [.. this.Lines.Select(l => l.Text)];

    public void Write(string level, string text)
    {
        lock (this.lines)
        {
            this.lines.Add((level, text));
            foreach (var waiter in this.waiters.Where(w => w.Match((level, text))).ToList())
            {
                this.waiters.Remove(waiter);
                waiter.Found.TrySetResult((level, text));
            }
        }
    }

    public Task<(string Level, string Text)> WaitForAsync(Func<(string Level, string Text), bool> match)
    {
        lock (this.lines)
        {
            foreach (var line in this.lines.Where(match))
            {
                return Task.FromResult(line);
            }

            var found = new TaskCompletionSource<(string Level, string Text)>(TaskCreationOptions.RunContinuationsAsynchronously);
            this.waiters.Add((match, found));
            return found.Task;
        }
    }

    public Task<(string Level, string Text)> WaitForTextAsync(string text) => this.WaitForAsync(l => l.Text == text);
}

/// <summary>The runaway reasons reported, the first one awaitable.</summary>
internal sealed class CapturedFailure : IMiniProgramFailureSink
{
    private readonly TaskCompletionSource<string> first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int count;

    public Task<string> Reason => this.first.Task;

    public int Count => Volatile.Read(ref this.count);

    public void Fail(string reason)
    {
        Interlocked.Increment(ref this.count);
        this.first.TrySetResult(reason);
    }
}
