using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.MiniProcess.OpenApi;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IpcBroker.JavaScript.Tests.Wx;

/// <summary>
/// A mini program's engine on a <see cref="TestJsThread"/> with the <c>wx</c> installers of <c>AddWxApis</c> and a
/// global <c>log(text)</c> that records lines the test waits for.
/// </summary>
internal sealed class JsHarness : IDisposable
{
    private readonly object gate = new();
    private readonly List<string> lines = [];
    private readonly List<(Func<string, bool> Predicate, TaskCompletionSource<string> Found)> waiters = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly ServiceProvider provider;

    private JsHarness(ServiceProvider provider, TestJsThread thread)
    {
        this.provider = provider;
        this.Thread = thread;
    }

    public TestJsThread Thread { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (this.gate)
            {
                return [.. this.lines];
            }
        }
    }

    public CancellationTokenSource Stopping => this.stopping;

    public IServiceProvider Services => this.provider;

    public static async Task<JsHarness> StartAsync(MiniAppContext app, ILoggerFactory loggers, Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggers);
        configure(services);
        services.AddWxApis();
        ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var harness = new JsHarness(provider, new TestJsThread(new Engine()));
        Engine engine = harness.Thread.Engine;
        IJsGlobalInstaller[] installers = [.. provider.GetServices<IJsGlobalInstaller>()];
        await harness.Thread.RunAsync(() =>
        {
            var wx = new JsObject(engine);
            engine.SetValue("wx", wx);
            engine.SetValue("log", new ClrFunction(engine, "log", (_, arguments) =>
            {
                harness.Add(arguments.At(0).ToString());
                return JsValue.Undefined;
            }));
            var context = new JsInstallContext(engine, wx, harness.Thread, app, loggers.CreateLogger("IpcBroker.MiniProgram.Wx"), harness.stopping.Token);
            foreach (IJsGlobalInstaller installer in installers)
            {
                installer.Install(context);
            }

            return 0;
        });
        return harness;
    }

    /// <summary>Runs a script on the JavaScript thread.</summary>
    public Task<JsValue> RunAsync(string script) => this.Thread.RunAsync(() => this.Thread.Engine.Evaluate(script));

    /// <summary>Waits for a line that <paramref name="predicate"/> accepts (one already logged counts).</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> predicate)
    {
        lock (this.gate)
        {
            if (this.lines.FirstOrDefault(predicate) is { } line)
            {
                return Task.FromResult(line);
            }

            var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            this.waiters.Add((predicate, found));
            return found.Task;
        }
    }

    public Task<string> WaitForLineAsync(string line) => this.WaitForLineAsync(l => l == line);

    public void Dispose()
    {
        this.stopping.Cancel();
        this.Thread.Dispose();
        this.provider.Dispose();
        this.stopping.Dispose();
    }

    private void Add(string line)
    {
        lock (this.gate)
        {
            this.lines.Add(line);
            foreach (var waiter in this.waiters.Where(w => w.Predicate(line)).ToList())
            {
                this.waiters.Remove(waiter);
                waiter.Found.TrySetResult(line);
            }
        }
    }
}
