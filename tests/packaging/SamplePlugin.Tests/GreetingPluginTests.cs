using IpcBroker;
using IpcBroker.Testing;
using SampleHost;

namespace SamplePlugin.Tests;

public class GreetingPluginTests
{
    [Fact]
    public async Task MiniProgramIsGreetedByName()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory();
        broker.MainRegistry.Register(new GreetingPlugin());
        IpcTestMiniApp mini = await broker.OpenMiniAppAsync("wx-kit").WaitAsync(TimeSpan.FromSeconds(20));

        IpcResult result = await mini.CallMainProcessPluginAsync(GreetingPlugin.Greet, new Bundle().PutString("name", "kit")).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(result.IsSuccess, result.ErrorMessage);
        Assert.Equal("hello kit from the host", result.Data.GetString("greeting"));
        Assert.Equal("wx-kit", result.Data.GetString("caller"));
    }
}
