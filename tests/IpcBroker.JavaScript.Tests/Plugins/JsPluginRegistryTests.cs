using IpcBroker.MiniProcess.JavaScript;
using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.JavaScript.Tests.Plugins;

public class JsPluginRegistryTests
{
    [Fact]
    public void EveryNameOfEveryHandlerIsServed()
    {
        JsPluginRegistry registry = Build(s => s.AddJsPlugin<TestJsPlugin>());
        Assert.True(registry.TryGet("t.a", out JsPluginHandler? a));
        Assert.True(registry.TryGet("t.b", out JsPluginHandler? b));
        Assert.Same(a, b);
        Assert.False(registry.TryGet("t.none", out _));
        Assert.False(registry.TryGet("T.A", out _));
    }

    [Fact]
    public void TwoHandlersForOneApiNameNameBoth()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Build(s => s.AddJsPlugin<FirstDup>().AddJsPlugin<SecondDup>()));
        Assert.Contains("'dup'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{typeof(FirstDup).FullName}.One", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{typeof(SecondDup).FullName}.Two", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisteringOnePluginTwiceIsNotADuplicate()
    {
        JsPluginRegistry registry = Build(s => s.AddJsPlugin<FirstDup>().AddJsPlugin<FirstDup>());
        Assert.Equal(["dup"], registry.ApiNames);
    }

    [Theory]
    [InlineData(typeof(ReturnsInt), "Bad")]
    [InlineData(typeof(TakesString), "Bad")]
    [InlineData(typeof(TakesTwo), "Bad")]
    public void AHandlerWithTheWrongSignatureIsNamed(Type plugin, string method)
    {
        var services = new ServiceCollection();
        services.AddSingleton(plugin).AddSingleton(new JsPluginRegistration(plugin));
        var ex = Assert.Throws<InvalidOperationException>(() => Build(services));
        Assert.Contains($"{plugin.FullName}.{method}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APluginWithoutTheAttributeIsRefused()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Build(s => s.AddJsPlugin<NotMarked>()));
        Assert.Contains(typeof(NotMarked).FullName!, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCheckAtStartThrowsForABadRegistration()
    {
        var services = new ServiceCollection();
        services.AddWxApis().AddJsPlugin<FirstDup>().AddJsPlugin<SecondDup>();
        using ServiceProvider provider = services.BuildServiceProvider();
        var check = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<JsPluginRegistryCheck>().Single();
        await Assert.ThrowsAsync<InvalidOperationException>(() => check.StartAsync(CancellationToken.None));
    }

    private static JsPluginRegistry Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        configure(services);
        return Build(services);
    }

    private static JsPluginRegistry Build(IServiceCollection services)
    {
        services.AddWxApis();
        return services.BuildServiceProvider().GetRequiredService<JsPluginRegistry>();
    }

    [JsPlugin]
    public sealed class FirstDup
    {
        [JsEvent("dup")]
        public void One(JsPluginRequest request) => request.Ok();
    }

    [JsPlugin]
    public sealed class SecondDup
    {
        [JsEvent("other", "dup")]
        public void Two(JsPluginRequest request) => request.Ok();
    }

    [JsPlugin]
    public sealed class ReturnsInt
    {
        [JsEvent("bad")]
        public int Bad(JsPluginRequest request) => 0;
    }

    [JsPlugin]
    public sealed class TakesString
    {
        [JsEvent("bad")]
        public void Bad(string request) => _ = request;
    }

    [JsPlugin]
    public sealed class TakesTwo
    {
        [JsEvent("bad")]
        public void Bad(JsPluginRequest request, int n) => _ = n;
    }

    public sealed class NotMarked
    {
        [JsEvent("x")]
        public void X(JsPluginRequest request) => request.Ok();
    }
}
