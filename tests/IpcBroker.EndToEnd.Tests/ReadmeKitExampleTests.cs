using System.Text.Json.Nodes;
using IpcBroker;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.Testing;

// The README's testing-kit example, compiled and run as it is printed there (outside the IpcBroker namespace, as a
// plugin author's test project would be). Keep the two the same.
namespace MyPlugins.Tests;

public class WeatherPluginTests
{
    [IpcMainPlugin]
    public sealed class WeatherPlugin
    {
        [IpcEvent("WEATHER_TODAY")]
        public Bundle Today(IpcRequest req) => new Bundle().PutString("city", req.Data.GetString("city")).PutInt("celsius", 21);
    }

    [Fact]
    public async Task MiniProgramGetsTheWeather()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory();
        broker.MainRegistry.Register(new WeatherPlugin());
        IpcTestMiniApp mini = await broker.OpenMiniAppAsync("wx-weather");

        IpcResult result = await mini.CallMainProcessPluginAsync("WEATHER_TODAY", new Bundle().PutString("city", "Shenzhen"));

        Assert.Equal(21, result.Data.GetInt("celsius"));
        Assert.Single(broker.Recorder.Calls, c => c.EventId == "WEATHER_TODAY" && !c.Outgoing && c.Peer.AppId == "wx-weather");
    }

    [Fact]
    public async Task PaymentIsChargedOnceWithFakes()
    {
        await using IIpcTestBroker broker = IpcTestBroker.InMemory();
        var account = new FakeAccount { SignedIn = "u-1" };
        var payments = new SamplePaymentProvider();
        await using OpenApiTestContext openApi = await broker.AddOpenApisAsync(account, payments);
        IpcTestMiniApp mini = await broker.OpenMiniAppAsync("wx-shop");

        var order = new JsonObject { ["orderId"] = "o-1", ["amount"] = 5 };
        OpenApiResult first = await PaymentOpenApis.PayAsync(mini.Context, PaymentKind.Payment, order, default);
        OpenApiResult again = await PaymentOpenApis.PayAsync(mini.Context, PaymentKind.Payment, order, default);

        Assert.Equal("Paid", again.Data["state"]!.GetValue<string>());
        Assert.Equal(first.ToJson(), again.ToJson());
        Assert.Equal(1, payments.Charges);
    }
}
