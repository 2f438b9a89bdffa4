using IpcBroker;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;

// The sample mini executable, on the Generic Host: its mini plugin answers SAMPLE_ECHO by calling the host's SAMPLE_GREET first.
var builder = MiniProcessApplication.CreateBuilder(args);
builder.Services.AddIpcPlugin<EchoPlugin>();
return await builder.Build().RunAsync();

/// <summary>The sample mini plugin.</summary>
[IpcMiniPlugin]
public sealed class EchoPlugin(MiniProcessClientAccessor clientAccessor)
{
    /// <summary>Echoes the text, with what the main plugin answered.</summary>
    [IpcEvent("SAMPLE_ECHO")]
    public async Task<Bundle> Echo(IpcRequest req)
    {
        MiniProcessClient client = await clientAccessor.Client;
        IpcResult greeting = await client.CallMainProcessPluginAsync("SAMPLE_GREET", new Bundle().PutString("name", "mini"),
            new IpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, req.CancellationToken);
        return new Bundle()
            .PutString("echo", req.Data.GetString("text", ""))
            .PutString("greeting", greeting.IsSuccess ? greeting.Data.GetString("greeting", "") : $"{greeting.ErrorCode}: {greeting.ErrorMessage}")
            .PutString("caller", greeting.Data.GetString("caller", ""));
    }
}
