using IpcBroker.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcBroker.TestMiniApp;

/// <summary>Says what the mini process's Generic Host made of its configuration, environment and logging.</summary>
[IpcMiniPlugin]
public sealed class HostingProbePlugin(IConfiguration configuration, IHostEnvironment environment, ILoggerFactory loggers)
{
    /// <summary>
    /// Answers <c>marker</c> (the setting <c>TestMini:Marker</c>), <c>contentRoot</c>, <c>environment</c>,
    /// <c>currentDirectory</c> and <c>informationLogged</c> (whether the runtime's category logs at Information).
    /// </summary>
    [IpcEvent(TestEvents.Hosting)]
    public Bundle Describe(IpcRequest request) => new Bundle()
        .PutString("marker", configuration["TestMini:Marker"])
        .PutString("contentRoot", environment.ContentRootPath)
        .PutString("environment", environment.EnvironmentName)
        .PutString("currentDirectory", Directory.GetCurrentDirectory())
        .PutBoolean("informationLogged", loggers.CreateLogger("IpcBroker.MiniProcess").IsEnabled(LogLevel.Information));
}
