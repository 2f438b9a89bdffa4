using IpcBroker.Diagnostics;
using IpcBroker.Plugins;
using IpcBroker.Testing;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The testing kit's promise: the same test code over in-memory streams and with real processes.</summary>
public abstract class TestingKitScenarios(ITestOutputHelper output) : TestBase(output)
{
    protected abstract IIpcTestBroker CreateBroker();

    [Fact]
    public async Task AHostCallReachesTheMiniProgramAndIsRecorded()
    {
        await using IIpcTestBroker broker = this.CreateBroker();
        IpcTestMiniApp mini = await this.WithTimeoutAsync(broker.OpenMiniAppAsync("wx-kit"));
        try
        {
            IpcResult echoed = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-kit", TestEvents.Echo, new Bundle().PutInt("n", 7)));
            IpcResult missing = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-kit", "no.such", null));

            Assert.Equal(7, echoed.Data.GetInt("n"));
            IpcCallRecord call = await broker.Recorder.WaitForCallAsync(c => c.EventId == TestEvents.Echo, this.TimeoutToken);
            Assert.True(call.Outgoing);
            Assert.Equal(("wx-kit", mini.ProcessId), (call.Peer.AppId, call.Peer.ProcessId));
            Assert.Equal(7, call.Request.GetInt("n"));
            Assert.True(call.Result.IsSuccess);
            Assert.Equal(IpcErrorCode.NoHandler, missing.ErrorCode);
            Assert.Contains(broker.Recorder.Calls, c => c.EventId == "no.such" && c.Result.ErrorCode == IpcErrorCode.NoHandler);
        }
        finally
        {
            await this.WithTimeoutAsync(broker.StopMiniAppAsync("wx-kit"));
        }

        Assert.Equal(IpcErrorCode.ProcessNotRunning, (await broker.CallMiniProcessPluginAsync("wx-kit", TestEvents.Echo, null)).ErrorCode);
    }

    [Fact]
    public async Task AMainPluginAnswersCallsFromTheMiniProgram()
    {
        await using IIpcTestBroker broker = this.CreateBroker();
        broker.MainRegistry.Register(new GreetingPlugin());
        await this.WithTimeoutAsync(broker.OpenMiniAppAsync("wx-kit-2"));

        // The mini program relays to the main process (test.callMain), in memory and in a real process alike.
        IpcResult relayed = await this.WithTimeoutAsync(broker.CallMiniProcessPluginAsync("wx-kit-2", TestEvents.CallMain, new Bundle().PutString("event", "kit.greet")));

        Assert.True(relayed.Data.GetBoolean("ok"), relayed.ToString());
        Assert.Equal("hello wx-kit-2", relayed.Data.GetBundle("data")!.GetString("text"));
        IpcCallRecord incoming = await broker.Recorder.WaitForCallAsync(c => c.EventId == "kit.greet", this.TimeoutToken);
        Assert.False(incoming.Outgoing);
        Assert.Equal("hello wx-kit-2", incoming.Result.Data.GetString("text"));
        await this.WithTimeoutAsync(broker.StopMiniAppAsync("wx-kit-2"));
    }

    [IpcMainPlugin]
    private sealed class GreetingPlugin
    {
        [IpcEvent("kit.greet")]
        public Bundle Greet(IpcRequest request) => new Bundle().PutString("text", "hello " + request.Caller.AppId);
    }
}

/// <summary>The kit's scenarios over in-memory streams, with the test mini app's two behaviours registered in this process.</summary>
public sealed class InMemoryTestingKitTests(ITestOutputHelper output) : TestingKitScenarios(output)
{
    protected override IIpcTestBroker CreateBroker() => IpcTestBroker.InMemory(
        (appId, registry, main) =>
        {
            registry.AddHandler(TestEvents.Echo, r => Task.FromResult(r.Data));
            registry.AddHandler(TestEvents.CallMain, async r =>
            {
                IpcResult result = await main.CallMainProcessPluginAsync(r.Data.GetString("event", string.Empty), r.Data.GetBundle("data"));
                return new Bundle().PutBoolean("ok", result.IsSuccess).PutBundle("data", result.Data);
            });
        },
        this.LoggerFactory);
}

/// <summary>The same scenarios with a real host and real test mini app processes.</summary>
public sealed class ProcessTestingKitTests(ITestOutputHelper output) : TestingKitScenarios(output)
{
    protected override IIpcTestBroker CreateBroker() => IpcTestBroker.WithProcesses(HostTestBase.TestMiniAppPath, this.LoggerFactory);
}
