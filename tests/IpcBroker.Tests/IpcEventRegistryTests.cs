using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.Tests;

public class IpcEventRegistryTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public void RegistersEveryHandlerFormOfAPlugin()
    {
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.Register(new UserPlugin());
        Assert.Equal(["user.async", "user.callback", "user.sync", "user.task"], registry.Events.Select(e => e.EventId).Order());
        Assert.True(registry.TryGetHandler("user.async", out IpcEventHandler? handler));
        Assert.Equal("Reads the user", handler.Description);
    }

    [Fact]
    public async Task EveryHandlerFormAnswersAcrossAConnection()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MainRegistry.Register(new UserPlugin());
        foreach (string eventId in new[] { "user.async", "user.callback", "user.sync", "user.task" })
        {
            IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync(eventId, null));
            Assert.True(result.IsSuccess, eventId + ": " + result);
            Assert.Equal(eventId, result.Data.GetString("from"));
        }
    }

    [Theory]
    [InlineData("OPEN_DATA_IPC_EVENT_GET_USER_ID", true)]
    [InlineData("a.b\u0007c", false)]
    [InlineData("tab\tname", false)]
    [InlineData("\u0085next-line", false)]
    [InlineData("", false)]
    public void ValidatingAnEventNameAllocatesNothing(string eventId, bool valid)
    {
        // Warm up: the first call may JIT and build the problem strings.
        Assert.Equal(valid, IpcEventRegistry.IsValidEventId(eventId, out _));

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool answer = IpcEventRegistry.IsValidEventId(eventId, out string problem);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(valid, answer);
        Assert.Equal(valid, problem.Length == 0);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TwoHandlersForOneEventIsAnError()
    {
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.Register(new UserPlugin());
        var ex = Assert.Throws<InvalidOperationException>(() => registry.AddHandler("user.sync", r => Task.FromResult(new Bundle())));
        Assert.Contains("user.sync", ex.Message);
        Assert.Contains("already has a handler", ex.Message);
    }

    [Fact]
    public void PluginForTheOtherSideIsRefusedNamingTheClass()
    {
        var ex = Assert.Throws<IpcConfigurationException>(() => new IpcEventRegistry(IpcSide.Mini).Register(new UserPlugin()));
        Assert.Contains(typeof(UserPlugin).FullName!, ex.Message);
        Assert.Contains("marked for the Main side", ex.Message);
    }

    [Fact]
    public void UnmarkedPluginIsRefusedNamingTheClass()
    {
        var ex = Assert.Throws<IpcConfigurationException>(() => new IpcEventRegistry(IpcSide.Main).Register(new UnmarkedPlugin()));
        Assert.Contains(typeof(UnmarkedPlugin).FullName!, ex.Message);
        Assert.Contains("[IpcMainPlugin] or [IpcMiniPlugin]", ex.Message);
    }

    [Fact]
    public void PluginMarkedForBothSidesIsRefusedNamingTheClass()
    {
        var ex = Assert.Throws<IpcConfigurationException>(() => new IpcEventRegistry(IpcSide.Main).Register(new BothSidesPlugin()));
        Assert.Contains(typeof(BothSidesPlugin).FullName!, ex.Message);
        Assert.Contains("exactly one", ex.Message);
    }

    [Fact]
    public void PluginWithoutEventsIsRefusedNamingTheClass()
    {
        var ex = Assert.Throws<IpcConfigurationException>(() => new IpcEventRegistry(IpcSide.Main).Register(new NoEventsPlugin()));
        Assert.Contains(typeof(NoEventsPlugin).FullName!, ex.Message);
    }

    [Fact]
    public void WrongHandlerSignatureIsRefused()
    {
        var ex = Assert.Throws<IpcConfigurationException>(() => new IpcEventRegistry(IpcSide.Main).Register(new BadSignaturePlugin()));
        Assert.Contains("IpcRequest", ex.Message);
    }

    [Fact]
    public void PluginsComeFromDependencyInjectionWithTheirDependencies()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new Greeting("hello"));
        services.AddIpcPlugin<GreetingPlugin>();
        using ServiceProvider provider = services.BuildServiceProvider();

        IpcEventRegistry registry = provider.CreateRegistry(IpcSide.Main);

        Assert.True(registry.TryGetHandler("greet", out IpcEventHandler? handler));
        Assert.Equal(typeof(GreetingPlugin).FullName + ".Greet", handler.Source);
        Assert.Single(registry.Events);
    }

    [Fact]
    public void APluginInTheContainerWithoutTheSidesMarkFailsTheRegistryNamingTheClass()
    {
        using ServiceProvider provider = new ServiceCollection().AddIpcPlugin<UnmarkedPlugin>().BuildServiceProvider();
        var ex = Assert.Throws<IpcConfigurationException>(() => provider.CreateRegistry(IpcSide.Main));
        Assert.Contains(typeof(UnmarkedPlugin).FullName!, ex.Message);

        using ServiceProvider mainOnly = new ServiceCollection().AddSingleton(new Greeting("hi")).AddIpcPlugin<GreetingPlugin>().BuildServiceProvider();
        ex = Assert.Throws<IpcConfigurationException>(() => mainOnly.CreateRegistry(IpcSide.Mini));
        Assert.Contains(typeof(GreetingPlugin).FullName!, ex.Message);
    }

    [IpcMainPlugin]
    private sealed class UserPlugin
    {
        [IpcEvent("user.async", Description = "Reads the user")]
        public async Task<Bundle> ReadAsync(IpcRequest request)
        {
            await Task.Yield();
            return new Bundle().PutString("from", request.EventId);
        }

        [IpcEvent("user.callback")]
        public void Callback(IpcRequest request) => ThreadPool.QueueUserWorkItem(_ => request.Ok(new Bundle().PutString("from", request.EventId)));

        [IpcEvent("user.sync")]
        public Bundle Sync(IpcRequest request) => new Bundle().PutString("from", request.EventId);

        [IpcEvent("user.task")]
        public async Task TaskForm(IpcRequest request)
        {
            await Task.Yield();
            request.Ok(new Bundle().PutString("from", request.EventId));
        }
    }

    private sealed class UnmarkedPlugin
    {
        [IpcEvent("x")]
        public void X(IpcRequest request) => request.Ok();
    }

    [IpcMainPlugin]
    [IpcMiniPlugin]
    private sealed class BothSidesPlugin
    {
        [IpcEvent("both")]
        public void Both(IpcRequest request) => request.Ok();
    }

    [IpcMainPlugin]
    private sealed class NoEventsPlugin
    {
    }

    [IpcMainPlugin]
    private sealed class BadSignaturePlugin
    {
        [IpcEvent("bad")]
        public void Bad(string text) => GC.KeepAlive(text);
    }

    private sealed record Greeting(string Text);

    [IpcMainPlugin]
    private sealed class GreetingPlugin(Greeting greeting)
    {
        [IpcEvent("greet")]
        public Bundle Greet(IpcRequest request) => new Bundle().PutString("text", greeting.Text);
    }
}
