using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.TestMiniApp;
using Microsoft.Extensions.DependencyInjection;

return await MiniProcessRuntime.RunAsync(
    services => services
        .AddSingleton<ClientHolder>()
        .AddSingleton<ApiLevelSetting>()
        .AddSingleton<MiniOpenApiProxy, TestOpenApiProxy>()
        .AddIpcPlugin<TestMiniPlugin>()
        .AddIpcPlugin<OpenApiPlugin>(),
    (client, provider) =>
    {
        provider.GetRequiredService<ClientHolder>().Set(client);
        return Task.CompletedTask;
    });
