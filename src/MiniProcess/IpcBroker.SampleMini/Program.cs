using System.Diagnostics;
using IpcBroker;
using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.MiniProcess.Samples;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;

// The mini program process the host starts. It is not meant to be run by hand: the host writes its launch line on
// standard input. A real host links its own mini-side plugins and its own MiniOpenApiProxy in the same way; when the host
// maps the appId to a JavaScript package, the process runs it (the wx-demo sample's custom API is CountdownJsPlugin).
MiniProcessApplicationBuilder builder = MiniProcessApplication.CreateBuilder(args);
builder.Services
    .AddSingleton<LaunchState>()
    .AddSingleton<MiniOpenApiProxy, SampleOpenApiProxy>()
    .AddIpcPlugin<AppInfoPlugin>()
    .AddIpcPlugin<OpenApiPlugin>()
    .AddJavaScriptMiniPrograms()
    .AddJsPlugin<CountdownJsPlugin>();
builder.OnConnected(async (client, provider) =>
{
    // A mini program's launch work: ask the main process who is logged in (as wx.getUserInfo would).
    var clock = Stopwatch.StartNew();
    IpcResult user = await client.CallMainProcessPluginAsync(WellKnownEvents.GetUserId, new Bundle().PutString("appId", client.AppId));
    provider.GetRequiredService<LaunchState>().SetUserCall(user, clock.Elapsed);
});
return await builder.Build().RunAsync();
