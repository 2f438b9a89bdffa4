using IpcBroker;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;

// The sample mini executable: its mini plugin answers SAMPLE_ECHO by calling the host's SAMPLE_GREET first.
return await MiniProcessRuntime.RunAsync(services => services.AddIpcPlugin<EchoPlugin>());

/// <summary>The sample mini plugin.</summary>
[IpcMiniPlugin]
public sealed class EchoPlugin(MiniProcessClientAccessor clientAccessor) : IpcPlugin
{
    /// <summary>Echoes the text, with what the main plugin answered.</summary>
    [IpcEvent("SAMPLE_ECHO")]
    public async Task<Bundle> Echo(IpcRequest req)
    {
        MiniProcessClient client = await clientAccessor.Client;
        IpcResult greeting = await client.CallMainProcessPluginAsync("SAMPLE_GREET", new Bundle().PutString("name", "mini"),
            new IpcCallOptions { Timeout = TimeSpan.FromSeconds(10) });
        return new Bundle()
            .PutString("echo", req.Data.GetString("text", ""))
            .PutString("greeting", greeting.IsSuccess ? greeting.Data.GetString("greeting", "") : $"{greeting.ErrorCode}: {greeting.ErrorMessage}")
            .PutString("caller", greeting.Data.GetString("caller", ""));
    }
}
