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
    .AddIpcPlugin<BenchPlugin>();

// The benchmark host moves a 16 MiB bundle, which the default limit (16 MiB encoded) refuses: it raises the limit on its
// side and names the same here through the environment the host passes (nothing else sets this variable).
if (int.TryParse(Environment.GetEnvironmentVariable("IPCB_BENCH_MAX_BUNDLE_BYTES"), out int maxBundleBytes))
{
    builder.Services.AddSingleton(IpcConnectionOptions.Default with { Limits = BundleLimits.Default with { MaxBytes = maxBundleBytes } });
}

builder.OnConnected((client, provider) =>
{
    provider.GetRequiredService<ClientHolder>().Set(client);
    return Task.CompletedTask;
});
return await builder.Build().RunAsync();
