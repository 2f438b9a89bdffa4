using IpcBroker;
using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.TestMiniApp;
using Microsoft.Extensions.DependencyInjection;

MiniProcessApplicationBuilder builder = MiniProcessApplication.CreateBuilder(args);
builder.Services
    .AddSingleton<ClientHolder>()
    .AddSingleton<ApiLevelSetting>()
    .AddSingleton<MiniOpenApiProxy, TestOpenApiProxy>()
    .AddIpcPlugin<TestMiniPlugin>()
    .AddIpcPlugin<HostingProbePlugin>()
    .AddIpcPlugin<OpenApiPlugin>()
    .AddIpcPlugin<BenchPlugin>()
    .AddIpcPlugin<OpenApiBenchPlugin>()
    .AddJavaScriptMiniPrograms()
    .AddJsPlugin<E2eJsPlugin>()
    .AddJsPlugin<GreetingPlugin>();

builder.OnConnected((client, provider) =>
{
    provider.GetRequiredService<ClientHolder>().Set(client);
    return Task.CompletedTask;
});
return await builder.Build().RunAsync();
