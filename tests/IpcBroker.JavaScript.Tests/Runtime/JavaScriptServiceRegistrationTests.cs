using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.MiniPrograms;
using IpcBroker.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcBroker.JavaScript.Tests.Runtime;

public class JavaScriptServiceRegistrationTests
{
    [Fact]
    public void OptionsComeFromTheJavaScriptSectionThenConfigureAndTheLifecycleIsRegistered()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["JavaScript:TaskTimeout"] = "00:00:03",
            ["JavaScript:MaxTimers"] = "12",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddSingleton<MiniProcessClientAccessor>()

            // MiniProcessApplicationBuilder registers the MiniProcessExit the production sink needs; a test's sink replaces it.
            .AddSingleton<IMiniProgramFailureSink, CapturedFailure>()
            .AddJavaScriptMiniPrograms(o => o.MaxTimers = 7);
        using ServiceProvider provider = services.BuildServiceProvider();

        JavaScriptOptions options = provider.GetRequiredService<IOptions<JavaScriptOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(3), options.TaskTimeout);
        Assert.Equal(7, options.MaxTimers);
        Assert.Single(provider.GetServices<IHostedService>(), s => s is MiniProgramHideService);
        Assert.IsType<StandardOutputConsoleSink>(provider.GetRequiredService<IJsConsoleSink>());
        IpcEventRegistry registry = provider.CreateRegistry(IpcSide.Mini);
        Assert.True(registry.TryGetHandler(MiniProgramEvents.Launch, out _));
        Assert.True(registry.TryGetHandler(MiniProgramEvents.Show, out _));
    }
}
