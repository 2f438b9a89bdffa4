using System.Diagnostics;
using System.Text.Json.Nodes;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.OpenApi;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The open APIs between a real host and real mini processes: every API at each level, and payments with kills.</summary>
public sealed class OpenApiAcrossProcessesTests : HostTestBase
{
    private const string User = "u-1001";
    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-e2e-openapi-" + Guid.NewGuid().ToString("N")[..8]);

    public OpenApiAcrossProcessesTests(ITestOutputHelper output)
        : base(output)
    {
        Directory.CreateDirectory(this.root);
    }

    protected override MiniAppHostOptions HostOptions => new() { MiniExecutablePath = TestMiniAppPath, SandboxRoot = Path.Combine(this.root, "sandboxes") };

    public static TheoryData<ApiLevel> Levels => new() { ApiLevel.V1, ApiLevel.V2, ApiLevel.V3 };

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task EveryApiAnswersAtEachLevel(ApiLevel level)
    {
        string appId = $"wx-level-{level}";
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new SamplePaymentProvider();
        this.StartOpenApiHost(store, provider, mutualTrust: level == ApiLevel.V3 ? appId : null);
        await this.OpenAsync(appId);
        await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, TestEvents.SetApiLevel, new Bundle().PutString("level", level.ToString())));

        var results = new Dictionary<string, JsonObject>();
        foreach (string api in new[] { "login", "getUserInfo", "getUserProfile", "getPhoneNumber", "checkSession", "getEmail", "chooseAvatar", "getNickName" })
        {
            results[api] = await this.WxAsync(appId, api, new JsonObject());
        }

        results["requestPayment"] = await this.WxAsync(appId, "requestPayment", new JsonObject { ["orderId"] = "p-1", ["amount"] = 1 });
        results["requestVirtualPayment"] = await this.WxAsync(appId, "requestVirtualPayment", new JsonObject { ["orderId"] = "p-2", ["amount"] = 2 });
        results["requestMidasPaymentGameItem"] = await this.WxAsync(appId, "requestMidasPaymentGameItem", new JsonObject { ["orderId"] = "p-3", ["amount"] = 3 });
        foreach ((string api, JsonObject result) in results)
        {
            this.Output.WriteLine($"{level} wx.{api}: {result.ToJsonString()}");
        }

        Assert.Equal(11, results.Count);
        Assert.Equal(User, Data(results["getUserInfo"])["userId"]!.GetValue<string>());
        Assert.True(Succeeded(results["getUserProfile"]));
        Assert.All(new[] { "requestPayment", "requestVirtualPayment", "requestMidasPaymentGameItem" }, api => Assert.Equal("Paid", Data(results[api])["state"]!.GetValue<string>()));
        Assert.Equal(3, provider.Charges);
        if (level == ApiLevel.V1)
        {
            Assert.Equal("host-own-code", Data(results["login"])["code"]!.GetValue<string>());
            Assert.All(new[] { "getPhoneNumber", "checkSession", "getEmail", "chooseAvatar", "getNickName" }, api => Assert.Equal(OpenApiErrno.NotImplemented, Errno(results[api])));
        }
        else
        {
            Assert.Matches("^[0-9a-f]{32}$", Data(results["login"])["code"]!.GetValue<string>());
            Assert.True(Succeeded(results["checkSession"]), results["checkSession"].ToJsonString()); // wx.login opened the session
            Assert.Equal("+86 138 0000 0000", Data(results["getPhoneNumber"])["phoneNumber"]!.GetValue<string>());
            Assert.Equal("ada@example.invalid", Data(results["getEmail"])["email"]!.GetValue<string>());
            Assert.Equal("Ada", Data(results["getNickName"])["nickName"]!.GetValue<string>());
            Assert.Equal(3 * 1024 * 1024, new FileInfo(Data(results["chooseAvatar"])["tempFilePath"]!.GetValue<string>()).Length);
        }
    }

    [Fact]
    public async Task AMiniProcessKilledBeforeItsPaymentLeftPaysOnceAfterItsRestart()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new SamplePaymentProvider();
        this.StartOpenApiHost(store, provider);
        MiniAppInfo first = await this.OpenAsync("wx-pay-a");
        await this.KillAsync(first.ProcessId);

        await this.OpenAsync("wx-pay-a");
        JsonObject before = await this.WxQueryAsync("wx-pay-a", "p-a");
        JsonObject paid = await this.WxAsync("wx-pay-a", "requestPayment", Order("p-a"));

        Assert.Equal("none", before["state"]!.GetValue<string>());
        Assert.Equal("Paid", Data(paid)["state"]!.GetValue<string>());
        Assert.Equal(1, provider.Charges);
    }

    [Fact]
    public async Task AMiniProcessKilledWhileTheProviderChargesGetsTheOutcomeAfterItsRestart()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new GatedProvider(new SamplePaymentProvider());
        this.StartOpenApiHost(store, provider);
        MiniAppInfo first = await this.OpenAsync("wx-pay-b");

        Task<JsonObject> dying = this.WxAsync("wx-pay-b", "requestPayment", Order("p-b"));
        await this.WithTimeoutAsync(provider.Called.Task);
        await this.KillAsync(first.ProcessId);
        Assert.Contains("PeerDisconnected", (await Assert.ThrowsAsync<InvalidOperationException>(() => dying)).Message);
        Assert.Equal(IpcErrorCode.ProcessNotRunning, (await this.Host.CallMiniProcessPluginAsync("wx-pay-b", TestEvents.Echo, null)).ErrorCode);
        Assert.Equal(0, provider.Inner.Charges);
        provider.Gate.SetResult();

        await this.OpenAsync("wx-pay-b");
        JsonObject again = await this.WxAsync("wx-pay-b", "requestPayment", Order("p-b"));
        JsonObject query = await this.WxQueryAsync("wx-pay-b", "p-b");

        Assert.Equal("Paid", Data(again)["state"]!.GetValue<string>());
        Assert.Equal("Paid", query["state"]!.GetValue<string>());
        Assert.Equal(1, provider.Inner.Charges);
    }

    [Fact]
    public async Task AMiniProcessKilledBeforeTheAnswerReachedItGetsTheOutcomeAfterItsRestart()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new SamplePaymentProvider();
        this.StartOpenApiHost(store, provider);
        MiniAppInfo first = await this.OpenAsync("wx-pay-c");
        provider.AfterCharge = _ => this.KillAsync(first.ProcessId);

        Assert.Contains("PeerDisconnected", (await Assert.ThrowsAsync<InvalidOperationException>(() => this.WxAsync("wx-pay-c", "requestPayment", Order("p-c")))).Message);
        provider.AfterCharge = null;

        await this.OpenAsync("wx-pay-c");
        JsonObject query = await this.WxQueryAsync("wx-pay-c", "p-c");
        JsonObject again = await this.WxAsync("wx-pay-c", "requestPayment", Order("p-c"));

        Assert.Equal("Paid", query["state"]!.GetValue<string>());
        Assert.Equal("Paid", Data(again)["state"]!.GetValue<string>());
        Assert.Equal(1, provider.Charges);
    }

    [Fact]
    public async Task AnOrderPaidBeforeAHostRestartIsNotChargedAgainAfterIt()
    {
        string database = Path.Combine(this.root, "data", "openapi.db");
        var firstProvider = new SamplePaymentProvider();
        await using (OpenApiStore store = await OpenApiStore.OpenAsync(database))
        {
            this.StartOpenApiHost(store, firstProvider);
            await this.OpenAsync("wx-pay-d");
            Assert.Equal("Paid", Data(await this.WxAsync("wx-pay-d", "requestPayment", Order("p-d")))["state"]!.GetValue<string>());
            await this.Host.DisposeAsync();
        }

        var secondProvider = new SamplePaymentProvider();
        await using OpenApiStore reopened = await OpenApiStore.OpenAsync(database);
        this.StartOpenApiHost(reopened, secondProvider);
        await this.OpenAsync("wx-pay-d");

        Assert.Equal("Paid", (await this.WxQueryAsync("wx-pay-d", "p-d"))["state"]!.GetValue<string>());
        Assert.Equal("Paid", Data(await this.WxAsync("wx-pay-d", "requestPayment", Order("p-d")))["state"]!.GetValue<string>());
        Assert.Equal((1, 0), (firstProvider.Charges, secondProvider.Charges));
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(this.root, recursive: true);
    }

    private static JsonObject Order(string orderId) => new() { ["orderId"] = orderId, ["amount"] = 6.5, ["currency"] = "CNY" };

    private static JsonObject Data(JsonObject result) => result["data"]!.AsObject();

    private static bool Succeeded(JsonObject result) => result["success"]!.GetValue<bool>();

    private static int Errno(JsonObject result) => Data(result)[OpenApiErrno.Key]!.GetValue<int>();

    private void StartOpenApiHost(OpenApiStore store, IPaymentProvider provider, string? mutualTrust = null)
    {
        MiniAppHost? host = null;
        var account = new SampleMiniAppProxy(() => host?.UserId, new Dictionary<string, UserProfile>
        {
            [User] = new("Ada", "ada@example.invalid", "+86 138 0000 0000", new byte[3 * 1024 * 1024]),
        });
        var options = new OpenApiOptions { MutualTrustAppIds = mutualTrust is null ? new HashSet<string>() : [mutualTrust] };
        var service = new OpenApiService(store, account, options);
        var registry = new IpcBroker.Plugins.IpcEventRegistry(IpcSide.Main);
        registry.Register(new OpenDataPlugin(service));
        registry.Register(new PaymentPlugin(service, provider));
        registry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle().PutString("userId", host?.UserId).PutString("nickName", "Ada")));
        host = this.StartHost(this.HostOptions, registry);
        host.SignIn(User);
        host.OnLogout(async () => await service.RevokeAllAsync());
    }

    /// <summary>Makes the mini program call an open API and returns the result JSON; throws if the mini process is gone.</summary>
    private async Task<JsonObject> WxAsync(string appId, string api, JsonObject parameters)
    {
        IpcResult result = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, WellKnownEvents.InvokeOpenApi, new Bundle().PutString("api", api).PutString("params", parameters.ToJsonString())));
        return result.IsSuccess ? JsonNode.Parse(result.Data.GetString("result")!)!.AsObject() : throw new InvalidOperationException(result.ToString());
    }

    /// <summary>Asks the main process, as the mini program, what became of an order.</summary>
    private async Task<JsonObject> WxQueryAsync(string appId, string orderId)
    {
        IpcResult result = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, TestEvents.CallMain, new Bundle().PutString("event", OpenApiEvents.PayQuery).PutBundle("data", new Bundle().PutString("orderId", orderId))));
        Assert.True(result.Data.GetBoolean("ok"), result.ToString());
        return result.Data.GetBundle("data")!.ToJsonObject();
    }

    private async Task KillAsync(int pid)
    {
        using Process process = Process.GetProcessById(pid);
        process.Kill();
        await process.WaitForExitAsync(this.TimeoutToken);
        await this.WaitForExitNoticeAsync(pid);
    }

    /// <summary>Holds every charge at the provider's door until the test opens the gate.</summary>
    private sealed class GatedProvider(SamplePaymentProvider inner) : IPaymentProvider
    {
        public SamplePaymentProvider Inner => inner;

        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken)
        {
            this.Called.TrySetResult();
            await this.Gate.Task;
            return await inner.ChargeAsync(request, cancellationToken);
        }
    }
}
