using IpcBroker.MainProcess.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary><see cref="MiniAppHostOptions.MiniPrograms"/> bound from configuration, as a host app on the Generic Host gives it.</summary>
public sealed class MiniProgramsFromConfigurationTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task TheMapIsBoundFromConfigurationAndCheckedAtTheHostsStart()
    {
        string package = Directory.CreateTempSubdirectory("ipcb-config-pkg-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(package, "app.json"), """{ "appId": "wx-config-js" }""");
            File.WriteAllText(Path.Combine(package, "app.js"), "App({});");

            using IHost good = Build(new() { ["MiniApps:MiniPrograms:wx-config-js"] = package });
            MiniAppHost host = good.Services.GetRequiredService<MiniAppHost>();
            Assert.Equal(package, Assert.Single(host.MiniPrograms, p => p.Key == "wx-config-js").Value);
            await host.DisposeAsync();

            using IHost wrongKey = Build(new() { ["MiniApps:MiniPrograms:wx-other"] = package });
            Assert.Contains("is the mini program 'wx-config-js'", Assert.Throws<IpcConfigurationException>(() => wrongKey.Services.GetRequiredService<MiniAppHost>()).Message);
        }
        finally
        {
            Directory.Delete(package, recursive: true);
        }
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        settings["MiniApps:MiniExecutablePath"] = TestMiniAppPath;
        settings["MiniApps:SpareProcesses"] = "0";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.Configure<MiniAppHostOptions>(builder.Configuration.GetSection("MiniApps"));
        builder.Services.AddMiniAppHost();
        return builder.Build();
    }
}
