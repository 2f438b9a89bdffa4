using IpcBroker.MiniProcess;
using IpcBroker.Plugins;
using IpcBroker.TestMiniApp;
using Microsoft.Extensions.DependencyInjection;

return await MiniProcessRuntime.RunAsync(
    services => services.AddSingleton<ClientHolder>().AddIpcPlugin<TestMiniPlugin>(),
    (client, provider) =>
    {
        provider.GetRequiredService<ClientHolder>().Set(client);
        return Task.CompletedTask;
    });
