using IpcBroker;
using IpcBroker.Plugins;

namespace SampleHost;

/// <summary>The sample main plugin: greets the calling mini program by its appId.</summary>
[IpcMainPlugin]
public sealed class GreetingPlugin
{
    /// <summary>The event a mini program calls.</summary>
    public const string Greet = "SAMPLE_GREET";

    /// <summary>Answers with a greeting for the name in the request and the caller's appId.</summary>
    [IpcEvent(Greet)]
    public Bundle Hello(IpcRequest req) =>
        new Bundle().PutString("greeting", $"hello {req.Data.GetString("name", "nobody")} from the host").PutString("caller", req.Caller.AppId);
}
