using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using IpcBroker.TestMiniApp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The host side on the Generic Host: AddMiniAppHost, options from configuration, plugins from DI, the host's life bound to the app's.</summary>
public class GenericHostTests(ITestOutputHelper output) : HostTestBase(output)
{
    private const string GreetEvent = "genericHost.greet";

    [Fact]
    public async Task AddMiniAppHostStartsWithTheAppServesPluginsFromDiAndStopsEveryMiniProcessWithTheApp()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MiniApps:MiniExecutablePath"] = TestMiniAppPath,
            ["MiniApps:MaxMiniProcesses"] = "2",
            ["MiniApps:ShutdownTimeout"] = "00:00:04",
            ["MiniApps:Sandbox:CpuLimit"] = "0.5",
        });
        builder.Logging.AddProvider(this.Logs);
        builder.Services.AddSingleton(new Greeting("hello from DI"));
        builder.Services.AddIpcPlugin<GreetingPlugin>();
        builder.Services.Configure<MiniAppHostOptions>(builder.Configuration.GetSection("MiniApps"));
        builder.Services.AddMiniAppHost(o => o.MaxPayloadBytesAcrossMiniProcesses = 64L * 1024 * 1024);
        using IHost app = builder.Build();

        // Options from configuration and from the delegate, together.
        MiniAppHostOptions options = app.Services.GetRequiredService<IOptions<MiniAppHostOptions>>().Value;
        Assert.Equal((2, 0.5, TimeSpan.FromSeconds(4), 64L * 1024 * 1024), (options.MaxMiniProcesses, options.Sandbox.CpuLimit, options.ShutdownTimeout, options.MaxPayloadBytesAcrossMiniProcesses));

        // Resolved before the app has started: the host starts then, and the app's start finds it running.
        MiniAppHost host = app.Services.GetRequiredService<MiniAppHost>();
        Assert.True(File.Exists(host.PipePath));
        await app.StartAsync(this.TimeoutToken);
        Assert.Same(host, app.Services.GetRequiredService<MiniAppHost>());
        Assert.Same(host, app.Services.GetServices<IHostedService>().OfType<MiniAppHostService>().Single().Host);
        Assert.Equal(2, host.MaxMiniProcesses);
        Assert.Contains(host.Registry.Events, e => e.EventId == GreetEvent);
        Assert.Contains(this.Logs.Records, r => r.EventId == 2080 && r.Category == "IpcBroker.MainProcess.GenericHost");

        MiniAppInfo info = await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-generic-host", cancellationToken: this.TimeoutToken));
        this.TrackPid(info.ProcessId);

        // Host to mini.
        IpcResult echoed = await this.WithTimeoutAsync(host.CallMiniProcessPluginAsync("wx-generic-host", TestEvents.Echo, new Bundle().PutString("word", "ping")));
        Assert.True(echoed.IsSuccess, echoed.ErrorMessage);
        Assert.Equal("ping", echoed.Data.GetString("word"));

        // Mini to host: the plugin came from the container, with its own dependency.
        IpcResult called = await this.WithTimeoutAsync(host.CallMiniProcessPluginAsync("wx-generic-host", TestEvents.CallMain, new Bundle().PutString("event", GreetEvent).PutBundle("data", new Bundle())));
        Assert.True(called.Data.GetBoolean("ok"), called.Data.GetString("errMsg"));
        Assert.Equal("hello from DI, wx-generic-host", called.Data.GetBundle("data")!.GetString("greeting"));

        // The app stops: the mini process is gone, and the host with it.
        await app.StopAsync(this.TimeoutToken);
        Assert.False(Directory.Exists($"/proc/{info.ProcessId}"), "the mini process has exited and been reaped when the app's stop returns");
        Assert.Empty(host.ProcessIds);
        Assert.False(File.Exists(host.PipePath));
        Assert.Contains(this.Logs.Records, r => r.EventId == 2081);
    }

    [Fact]
    public async Task AHostedServiceAddedAfterAddMiniAppHostGetsTheStartedHostAndLaterOptionChangesDoNotReachIt()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMiniAppHost(o => o.MiniExecutablePath = TestMiniAppPath);
        builder.Services.AddMiniAppHost(o => o.MaxMiniProcesses = 3);
        var seenAtStart = new TaskCompletionSource<MiniAppHost>(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.Services.AddHostedService(sp => new ResolvesAtStart(sp, seenAtStart));
        using IHost app = builder.Build();

        // Added twice, one host: the options of both calls apply.
        Assert.Single(app.Services.GetServices<IHostedService>(), s => s is MiniAppHostService);
        await app.StartAsync(this.TimeoutToken);
        MiniAppHost host = await this.WithTimeoutAsync(seenAtStart.Task);
        Assert.Same(host, app.Services.GetRequiredService<MiniAppHost>());
        Assert.Equal(3, host.MaxMiniProcesses);

        // The options are settable (for binding), but the running host took a copy.
        app.Services.GetRequiredService<IOptions<MiniAppHostOptions>>().Value.MaxMiniProcesses = 1;
        Assert.Equal(3, host.MaxMiniProcesses);

        await app.StopAsync(this.TimeoutToken);
        Assert.False(File.Exists(host.PipePath));
    }

    /// <summary>The Generic Host builds every hosted service before starting any: one that takes the MiniAppHost in its constructor gets the running host.</summary>
    [Fact]
    public async Task AHostedServiceTakingMiniAppHostInItsConstructorGetsTheRunningHost()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMiniAppHost(o => o.MiniExecutablePath = TestMiniAppPath);
        builder.Services.AddHostedService<TakesHostInConstructor>();
        using IHost app = builder.Build();
        await app.StartAsync(this.TimeoutToken);
        MiniAppHost host = app.Services.GetServices<IHostedService>().OfType<TakesHostInConstructor>().Single().Host;
        Assert.Same(host, app.Services.GetRequiredService<MiniAppHost>());
        Assert.True(File.Exists(host.PipePath));

        await app.StopAsync(this.TimeoutToken);
        Assert.False(File.Exists(host.PipePath));
    }

    /// <summary>A main plugin that takes the host in its constructor would start it again while it starts: refused, never a hang.</summary>
    [Fact]
    public async Task AMainPluginTakingMiniAppHostInItsConstructorIsRefusedNotAHang()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddIpcPlugin<NeedsHostPlugin>();
        builder.Services.AddMiniAppHost(o => o.MiniExecutablePath = TestMiniAppPath);
        using IHost app = builder.Build();

        // On a thread of its own: before the fix the start blocked its caller for ever.
        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => this.WithTimeoutAsync(Task.Run(() => app.StartAsync(this.TimeoutToken))));

        Assert.Contains("takes MiniAppHost in its constructor", refused.Message);
    }

    /// <summary>Resolved for the first time after the app has stopped, there is no host to give.</summary>
    [Fact]
    public async Task ResolvingTheHostForTheFirstTimeAfterTheAppStoppedThrows()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMiniAppHost(o => o.MiniExecutablePath = TestMiniAppPath);
        using IHost app = builder.Build();
        await app.StartAsync(this.TimeoutToken);
        await app.StopAsync(this.TimeoutToken);

        InvalidOperationException late = Assert.Throws<InvalidOperationException>(() => app.Services.GetRequiredService<MiniAppHost>());
        Assert.Contains("stopped with the app", late.Message);
    }

    /// <summary>A hosted service added after AddMiniAppHost fails its start: .NET stops no hosted service, but disposing the app removes the host's socket.</summary>
    [Fact]
    public async Task WhenALaterHostedServiceFailsToStartDisposingTheAppRemovesTheHostsSocket()
    {
        string runtime = Directory.CreateTempSubdirectory("ipc-genhost-").FullName;
        try
        {
            HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddMiniAppHost(o => { o.MiniExecutablePath = TestMiniAppPath; o.RuntimeDirectory = runtime; });
            builder.Services.AddHostedService<FailsToStart>();
            using (IHost app = builder.Build())
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(this.TimeoutToken));
                Assert.NotEmpty(Directory.GetFiles(runtime, "*", SearchOption.AllDirectories));
            }

            Assert.Empty(Directory.GetFiles(runtime, "*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
    }

    /// <summary>When stopping the mini programs fails (a killed process not reaped in time), the app's stop still disposes the host.</summary>
    [Fact]
    public async Task WhenTheStopOfTheMiniProgramsFailsTheAppsStopStillDisposesTheHost()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(Options.Create(new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            ReapTimeout = TimeSpan.Zero,
        }));
        builder.Services.AddMiniAppHost();
        using IHost app = builder.Build();
        await app.StartAsync(this.TimeoutToken);

        // Not resolved from the container (which would dispose it): as an app that only uses the hosted service.
        MiniAppHost host = app.Services.GetServices<IHostedService>().OfType<MiniAppHostService>().Single().Host;
        MiniAppInfo info = await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-stubborn", cancellationToken: this.TimeoutToken));
        this.TrackPid(info.ProcessId);
        await this.WithTimeoutAsync(host.CallMiniProcessPluginAsync("wx-stubborn", TestEvents.IgnoreShutdown, null));

        // The app's stop waits for the host's disposal, whatever became of the mini programs' stop (which it reports).
        Exception? stop = await Record.ExceptionAsync(() => app.StopAsync(this.TimeoutToken));
        this.Output.WriteLine($"app.StopAsync threw {stop?.GetType().Name}: {stop?.Message}");
        Assert.False(File.Exists(host.PipePath), "the host's socket is gone after the app's stop");
        await Assert.ThrowsAsync<ObjectDisposedException>(() => host.StartMiniAppAsync("wx-after-stop", cancellationToken: this.TimeoutToken));
    }

    /// <summary>A dependency of <see cref="GreetingPlugin"/>, from the container.</summary>
    public sealed record Greeting(string Text);

    /// <summary>A main-side plugin that takes a service from the container.</summary>
    /// <summary>A main plugin that needs the host itself, in its constructor.</summary>
    [IpcMainPlugin]
    public sealed class NeedsHostPlugin(MiniAppHost host)
    {
        /// <summary>Answers with the number of mini processes.</summary>
        [IpcEvent("test.needsHost")]
        public Bundle Answer(IpcRequest request) => new Bundle().PutInt("processes", host.ProcessIds.Count);
    }

    [IpcMainPlugin]
    public sealed class GreetingPlugin(Greeting greeting)
    {
        [IpcEvent(GreetEvent)]
        public Bundle Greet(IpcRequest request) => new Bundle().PutString("greeting", $"{greeting.Text}, {request.Caller.AppId}");
    }

    /// <summary>A hosted service that takes the MiniAppHost in its constructor.</summary>
    private sealed class TakesHostInConstructor(MiniAppHost host) : IHostedService
    {
        public MiniAppHost Host => host;

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A hosted service whose start fails.</summary>
    private sealed class FailsToStart : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("a later service fails to start");

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A hosted service that resolves the MiniAppHost in its own StartAsync.</summary>
    private sealed class ResolvesAtStart(IServiceProvider services, TaskCompletionSource<MiniAppHost> seen) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            seen.TrySetResult(services.GetRequiredService<MiniAppHost>());
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
