using System.Collections.Concurrent;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.OpenApi;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary><see cref="MiniAppHostOptions.Policy"/> against real mini processes: who may be started, who may call what.</summary>
public class PolicyTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task APaymentIsDeniedToAnUnlistedAppIdAndAllowedToAListedOne()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        var payers = new ConcurrentQueue<IpcCaller>();
        this.MainRegistry.AddHandler(OpenApiEvents.Pay, request =>
        {
            payers.Enqueue(request.Caller);
            return Task.FromResult(new Bundle().PutString("state", "Paid"));
        });
        this.MainRegistry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle().PutString("userId", "u-1")));
        this.StartHost(this.HostOptions with { Policy = MiniAppPolicy.Unrestricted.LimitEvent("OPEN_API_PAY*", "wx-shop") });
        MiniAppInfo shop = await this.OpenAsync("wx-shop");
        MiniAppInfo news = await this.OpenAsync("wx-news");

        // The payload claims to be wx-shop; the host asks about the appId it bound to wx-news's connection.
        Bundle claim = new Bundle().PutString("appId", "wx-shop").PutString("orderId", "o-1");
        Bundle denied = await this.CallMainFromAsync("wx-news", OpenApiEvents.Pay, claim);
        Bundle paid = await this.CallMainFromAsync("wx-shop", OpenApiEvents.Pay, claim);
        Bundle stillServed = await this.CallMainFromAsync("wx-news", WellKnownEvents.GetUserId, null);

        Assert.Equal((int)IpcErrorCode.Denied, denied.GetInt("errCode"));
        Assert.Contains($"'{OpenApiEvents.Pay}'", denied.GetString("errMsg"));
        Assert.DoesNotContain("wx-shop", denied.GetString("errMsg"));
        Assert.True(paid.GetBoolean("ok"), paid.ToString());
        Assert.Equal("Paid", paid.GetBundle("data")!.GetString("state"));
        Assert.True(stillServed.GetBoolean("ok"), stillServed.ToString());
        Assert.Equal(new IpcCaller(IpcSide.Mini, "wx-shop", MiniAppVerType.Release, shop.ProcessId), Assert.Single(payers));

        TestLogRecord logged = await this.WaitForLogAsync(r => r.EventId == 1024);
        Assert.Contains($"wx-news (pid {news.ProcessId})", logged.Message);
        Assert.Contains(OpenApiEvents.Pay, logged.Message);
    }

    [Fact]
    public async Task AnAppLimitedToPatternsIsDeniedEverythingElse()
    {
        this.MainRegistry.AddHandler(OpenApiEvents.Login, _ => Task.FromResult(new Bundle()));
        this.MainRegistry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle()));
        this.MainRegistry.AddHandler("HOST_ADMIN", _ => Task.FromResult(new Bundle()));
        this.StartHost(this.HostOptions with { Policy = MiniAppPolicy.Unrestricted.LimitApp("wx-weather", "OPEN_API_*", WellKnownEvents.GetUserId) });
        await this.OpenAsync("wx-weather");

        Assert.True((await this.CallMainFromAsync("wx-weather", OpenApiEvents.Login, null)).GetBoolean("ok"));
        Assert.True((await this.CallMainFromAsync("wx-weather", WellKnownEvents.GetUserId, null)).GetBoolean("ok"));
        Assert.Equal((int)IpcErrorCode.Denied, (await this.CallMainFromAsync("wx-weather", "HOST_ADMIN", null)).GetInt("errCode"));
        Assert.Equal((int)IpcErrorCode.Denied, (await this.CallMainFromAsync("wx-weather", "NOT_REGISTERED", null)).GetInt("errCode"));
    }

    [Fact]
    public async Task AStartOfAnAppIdNotAllowedFailsBeforeAnyProcessIsStarted()
    {
        this.StartHost(this.HostOptions with { Policy = MiniAppPolicy.Unrestricted.AllowStarting("wx-shop") });

        MiniAppStartException refused = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-evil", MiniAppVerType.Release, this.TimeoutToken)));

        Assert.Contains("'wx-evil'", refused.Message);
        Assert.Contains("policy", refused.Message);
        Assert.Empty(this.Host.ProcessIds);
        Assert.Empty(this.Host.RunningMiniApps);
        Assert.Contains(this.Logs.Records, r => r.EventId == 2020 && r.Message.Contains("wx-evil", StringComparison.Ordinal));

        MiniAppInfo shop = await this.OpenAsync("wx-shop");
        Assert.Equal([shop.ProcessId], this.Host.ProcessIds);
    }

    /// <summary>Makes the mini program <paramref name="appId"/> call the main process (TestMiniPlugin's relay) and returns its report.</summary>
    private async Task<Bundle> CallMainFromAsync(string appId, string eventId, Bundle? data)
    {
        Bundle request = new Bundle().PutString("event", eventId);
        if (data is not null)
        {
            request.PutBundle("data", data);
        }

        IpcResult relayed = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(appId, TestEvents.CallMain, request));
        Assert.True(relayed.IsSuccess, relayed.ToString());
        return relayed.Data;
    }
}
