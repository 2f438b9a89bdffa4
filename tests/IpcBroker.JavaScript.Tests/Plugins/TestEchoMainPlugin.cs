using IpcBroker.Plugins;

namespace IpcBroker.JavaScript.Tests.Plugins;

/// <summary>The main side a JS plugin handler calls: echoes <c>text</c> and says who called.</summary>
[IpcMainPlugin]
public sealed class TestEchoMainPlugin
{
    [IpcEvent(TestJsPlugin.EchoEvent)]
    public Bundle Echo(IpcRequest request) => new Bundle().PutString("text", request.Data.GetString("text")).PutString("caller", request.Caller.AppId);
}
