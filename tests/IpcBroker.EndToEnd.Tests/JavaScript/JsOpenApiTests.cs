using System.Text.Json.Nodes;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.OpenApi;

namespace IpcBroker.EndToEnd.Tests.JavaScript;

/// <summary>The wx open APIs from JavaScript in a real mini process: every API in both styles, and WeChat's session rules.</summary>
public sealed class JsOpenApiTests(ITestOutputHelper output) : JsTestBase(output)
{
    private static readonly string[] Apis =
    [
        "login", "getUserInfo", "getUserProfile", "getPhoneNumber", "checkSession", "getEmail", "chooseAvatar", "getNickName",
        "requestPayment", "requestVirtualPayment", "requestMidasPaymentGameItem",
    ];

    [Fact]
    public async Task EveryOpenApiAnswersInCallbackAndPromiseStyleAndFailsAsWeChatDoes()
    {
        const string appId = "wx-js-openapi";
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new SamplePaymentProvider();
        this.StartOpenApiHost(JsOptions(null, spareProcesses: 0, Package("openapi")), store, provider, out _);

        await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, "^openapi: (done|broke)");
        Assert.DoesNotContain(this.ConsoleLines(appId), l => l.StartsWith("openapi: broke", StringComparison.Ordinal));

        // Before wx.login: checkSession fails with errno and errMsg, then complete; the Promise rejects with the same.
        JsonObject failed = this.JsonLine(appId, "openapi: cb checkSession fail ");
        Assert.StartsWith("checkSession:fail", failed["errMsg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(failed["errno"]!.GetValue<int>() > 0, failed.ToJsonString());
        Assert.Equal(failed.ToJsonString(), this.JsonLine(appId, "openapi: p checkSession rejected ").ToJsonString());
        Assert.Contains(this.ConsoleLines(appId), l => l.StartsWith("openapi: cb checkSession complete after fail+complete ", StringComparison.Ordinal));

        // Then every API succeeds in both styles: success then complete, never during the call, errMsg "<api>:ok".
        foreach (string api in Apis)
        {
            JsonObject success = this.JsonLine(appId, $"openapi: cb {api} success ");
            JsonObject resolved = this.JsonLine(appId, $"openapi: p {api} resolved ");
            Assert.Equal($"{api}:ok", success["errMsg"]?.GetValue<string>());
            Assert.Equal($"{api}:ok", resolved["errMsg"]?.GetValue<string>());
            string completePrefix = $"openapi: cb {api} complete after ";
            Assert.StartsWith("success+complete ", this.ConsoleLines(appId).Last(l => l.StartsWith(completePrefix, StringComparison.Ordinal))[completePrefix.Length..], StringComparison.Ordinal);
        }

        Assert.All(this.ConsoleLines(appId).Where(l => l.Contains(" called back during the call ", StringComparison.Ordinal)), l => Assert.EndsWith(" 0", l, StringComparison.Ordinal));
        Assert.Equal(Apis.Length + 1, this.ConsoleLines(appId).Count(l => l.Contains(" called back during the call ", StringComparison.Ordinal)));
        Assert.Matches("^[0-9a-f]{32}$", this.JsonLine(appId, "openapi: cb login success ")["code"]!.GetValue<string>());
        Assert.Equal(User, this.JsonLine(appId, "openapi: p getUserInfo resolved ")["userId"]!.GetValue<string>());
        Assert.Equal("Ada", this.JsonLine(appId, "openapi: cb getNickName success ")["nickName"]!.GetValue<string>());
        foreach (string payment in Apis[^3..])
        {
            Assert.Equal("Paid", this.JsonLine(appId, $"openapi: cb {payment} success ")["state"]!.GetValue<string>());
            Assert.Equal("Paid", this.JsonLine(appId, $"openapi: p {payment} resolved ")["state"]!.GetValue<string>());
        }

        // The vendor sample's race: one order sent twice at once is charged once; both calls get its outcome.
        Assert.Equal("Paid,Paid", this.SingleLine(appId, "openapi: same order twice "));
        Assert.Equal(6 + 1, provider.Charges);
    }

    [Fact]
    public async Task LoginThenCheckSessionSucceedsAndAfterLogoutItFailsAndTheBackendSeesThatLoginsSession()
    {
        const string appId = "wx-js-sessions";
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        this.StartOpenApiHost(JsOptions(null, spareProcesses: 0, Package("sessions")), store, new SamplePaymentProvider(), out OpenApiService service);

        // First launch: no session yet, then wx.login opens one and checkSession (callback style) succeeds.
        MiniAppInfo first = await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, "^sessions: before login checkSession fail ");
        string code = (await this.WaitForConsoleAsync(appId, "^sessions: code ")).Message.Split(' ')[^1];
        await this.WaitForConsoleAsync(appId, "^sessions: after login checkSession (ok|fail)");
        Assert.Contains("sessions: after login checkSession ok", this.ConsoleLines(appId));

        // The backend's code2Session of that login's code gives the session, and its key lives.
        (string OpenId, string SessionKey)? session = await this.WithTimeoutAsync(service.CodeToSessionAsync(appId, code, this.TimeoutToken));
        Assert.NotNull(session);
        Assert.True(await this.WithTimeoutAsync(service.CheckSessionKeyAsync(appId, session.Value.OpenId, session.Value.SessionKey, this.TimeoutToken)));

        // A relaunch without logout: the session is still there before any login.
        await this.WithTimeoutAsync(this.Host.StopMiniAppAsync(appId, cancellationToken: this.TimeoutToken));
        await this.WaitForExitNoticeAsync(first.ProcessId);
        await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, "^sessions: before login checkSession ok$");

        // After the host's logout and a new sign-in, checkSession fails, and the backend's key is dead.
        await this.WithTimeoutAsync(this.Host.LogoutAsync(this.TimeoutToken));
        this.Host.SignIn(User);
        await this.OpenAsync(appId);
        await this.WaitForConsoleAsync(appId, "^sessions: before login checkSession fail ", count: 2);
        Assert.False(await this.WithTimeoutAsync(service.CheckSessionKeyAsync(appId, session.Value.OpenId, session.Value.SessionKey, this.TimeoutToken)));
    }
}
