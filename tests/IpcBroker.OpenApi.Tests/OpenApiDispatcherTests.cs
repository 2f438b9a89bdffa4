using System.Text.Json.Nodes;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Tests;

namespace IpcBroker.OpenApi.Tests;

/// <summary>Every API at each level, and the AsyncResult contract, with both sides in one process.</summary>
public class OpenApiDispatcherTests(ITestOutputHelper output) : TestBase(output)
{
    /// <summary>What each API gives with the sample proxy and a signed-in user whose profile is complete.</summary>
    public static TheoryData<ApiLevel> Levels => new() { ApiLevel.Undefined, ApiLevel.V2, ApiLevel.V3 };

    [Theory]
    [MemberData(nameof(Levels))]
    public async Task EveryApiAnswersAtLevelsWithDefaults(ApiLevel level)
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var dispatcher = new OpenApiDispatcher(new LeveledProxy(level), this.LoggerFactory.CreateLogger("openapi"));

        OpenApiResult login = await this.CallAsync(dispatcher, fixture, "wx.login");
        OpenApiResult checkBefore = await this.CallAsync(dispatcher, fixture, "checkSession");
        (string OpenId, string SessionKey)? session = await fixture.Service.CodeToSessionAsync("wx-app-1", login.Data["code"]!.GetValue<string>());
        OpenApiResult checkAfter = await this.CallAsync(dispatcher, fixture, "checkSession");
        OpenApiResult phone = await this.CallAsync(dispatcher, fixture, "getPhoneNumber");
        OpenApiResult email = await this.CallAsync(dispatcher, fixture, "getEmail");
        OpenApiResult nick = await this.CallAsync(dispatcher, fixture, "getNickName");
        OpenApiResult avatar = await this.CallAsync(dispatcher, fixture, "chooseAvatar");
        OpenApiResult userInfo = await this.CallAsync(dispatcher, fixture, "getUserInfo");
        OpenApiResult profile = await this.CallAsync(dispatcher, fixture, "getUserProfile");
        OpenApiResult pay = await this.CallAsync(dispatcher, fixture, "requestPayment", new JsonObject { ["orderId"] = $"o-{level}-1", ["amount"] = 12.5 });
        OpenApiResult virtualPay = await this.CallAsync(dispatcher, fixture, "requestVirtualPayment", new JsonObject { ["orderId"] = $"o-{level}-2", ["amount"] = 3 });
        OpenApiResult midas = await this.CallAsync(dispatcher, fixture, "requestMidasPaymentGameItem", new JsonObject { ["orderId"] = $"o-{level}-3", ["amount"] = 1, ["itemId"] = "sword" });

        Assert.True(login.Success);
        Assert.Matches("^[0-9a-f]{32}$", login.Data["code"]!.GetValue<string>());
        Assert.True(checkBefore.Success, checkBefore.ToJson()); // wx.login created the login state; the backend need not have redeemed the code
        Assert.NotNull(session);
        Assert.True(checkAfter.Success);
        Assert.Equal("+86 138 0000 0000", phone.Data["phoneNumber"]!.GetValue<string>());
        Assert.Equal("ada@example.invalid", email.Data["email"]!.GetValue<string>());
        Assert.Equal("Ada", nick.Data["nickName"]!.GetValue<string>());
        Assert.Equal(2 * 1024 * 1024, avatar.Data["size"]!.GetValue<int>());
        Assert.Equal(2 * 1024 * 1024, new FileInfo(avatar.Data["tempFilePath"]!.GetValue<string>()).Length);
        Assert.Equal(OpenApiFixture.User, userInfo.Data["userId"]!.GetValue<string>());
        Assert.True(profile.Success);
        Assert.All([pay, virtualPay, midas], p => Assert.Equal("Paid", p.Data["state"]!.GetValue<string>()));
        Assert.Equal(3, fixture.Provider.Charges);
    }

    [Fact]
    public async Task LevelV1RunsTheHostsOwnLogicAndNoDefaults()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var dispatcher = new OpenApiDispatcher(new HostOwnLoginProxy(ApiLevel.V1));

        OpenApiResult login = await this.CallAsync(dispatcher, fixture, "login");
        OpenApiResult phone = await this.CallAsync(dispatcher, fixture, "getPhoneNumber");
        OpenApiResult userInfo = await this.CallAsync(dispatcher, fixture, "getUserInfo");

        Assert.Equal("host-own-code", login.Data["code"]!.GetValue<string>());
        Assert.Equal(OpenApiErrno.NotImplemented, phone.Errno);
        Assert.Contains("wx.getPhoneNumber is not implemented", phone.Data[OpenApiErrno.MessageKey]!.GetValue<string>());
        Assert.True(userInfo.Success, "APIs without defaults run the host's override at every level");
    }

    [Fact]
    public async Task LevelV2RunsTheDefaultEvenWhereTheHostOverrode()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        OpenApiResult login = await this.CallAsync(new OpenApiDispatcher(new HostOwnLoginProxy(ApiLevel.V2)), fixture, "login");
        Assert.NotEqual("host-own-code", login.Data["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task LevelV3ChecksTheHostsAuthCodeAndSpendsIt()
    {
        var options = new OpenApiOptions { Clock = OpenApiFixture.Clock, MutualTrustAppIds = new HashSet<string> { "wx-app-1" } };
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory, options);

        OpenApiResult withCode = await this.CallAsync(new OpenApiDispatcher(new LeveledProxy(ApiLevel.V3)), fixture, "getNickName");
        OpenApiResult forged = await this.CallAsync(new OpenApiDispatcher(new ForgedAuthProxy()), fixture, "getNickName");
        OpenApiResult withoutCode = await this.CallAsync(new OpenApiDispatcher(new LeveledProxy(ApiLevel.V2)), fixture, "getNickName");
        string spent = (await fixture.Mini.CallAsync(OpenApiEvents.GetAuthCode, null)).Data.GetString(OpenApiEvents.AuthCodeKey)!;
        Assert.True((await fixture.Mini.CallAsync(OpenApiEvents.GetNickName, new Bundle().PutString(OpenApiEvents.AuthCodeKey, spent))).IsSuccess);
        IpcResult replayed = await fixture.Mini.CallAsync(OpenApiEvents.GetNickName, new Bundle().PutString(OpenApiEvents.AuthCodeKey, spent));

        Assert.True(withCode.Success, withCode.ToJson());
        Assert.Equal(OpenApiErrno.AuthDenied, forged.Errno);
        Assert.Equal(OpenApiErrno.AuthDenied, withoutCode.Errno);
        Assert.Equal(OpenApiErrno.AuthDenied, replayed.Data.GetInt(OpenApiErrno.Key));
    }

    [Fact]
    public async Task ApisWithoutDefaultsAreNotImplementedUntilTheHostOverridesThem()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var dispatcher = new OpenApiDispatcher(new BareProxy());
        foreach (string api in new[] { "getUserInfo", "getUserProfile", "requestPayment", "requestMidasPaymentGameItem", "requestVirtualPayment" })
        {
            OpenApiResult result = await this.CallAsync(dispatcher, fixture, api);
            Assert.Equal(OpenApiErrno.NotImplemented, result.Errno);
            Assert.Contains($"wx.{api} is not implemented by the host app", result.Data[OpenApiErrno.MessageKey]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task TheEntryPointTakesJsonAndRefusesUnknownApisAndBadJson()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var dispatcher = new OpenApiDispatcher(new LeveledProxy(ApiLevel.V2));

        JsonObject nick = JsonNode.Parse(await this.WithTimeoutAsync(dispatcher.InvokeJsonAsync(fixture.Context, "wx.getNickName", "{}")))!.AsObject();
        JsonObject unknown = JsonNode.Parse(await this.WithTimeoutAsync(dispatcher.InvokeJsonAsync(fixture.Context, "wx.teleport", null)))!.AsObject();
        JsonObject badJson = JsonNode.Parse(await this.WithTimeoutAsync(dispatcher.InvokeJsonAsync(fixture.Context, "wx.login", "{not json")))!.AsObject();
        JsonObject notObject = JsonNode.Parse(await this.WithTimeoutAsync(dispatcher.InvokeJsonAsync(fixture.Context, "wx.login", "[1]")))!.AsObject();

        Assert.True(nick["success"]!.GetValue<bool>());
        Assert.Equal("Ada", nick["data"]!["nickName"]!.GetValue<string>());
        Assert.Equal(OpenApiErrno.UnknownApi, unknown["data"]![OpenApiErrno.Key]!.GetValue<int>());
        Assert.Contains("wx.teleport", unknown["data"]![OpenApiErrno.MessageKey]!.GetValue<string>());
        Assert.Equal(OpenApiErrno.BadParameters, badJson["data"]![OpenApiErrno.Key]!.GetValue<int>());
        Assert.Equal(OpenApiErrno.BadParameters, notObject["data"]![OpenApiErrno.Key]!.GetValue<int>());
    }

    [Fact]
    public async Task AsyncResultCompletesOnceAndASilentOrThrowingImplementationStillAnswers()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var dispatcher = new OpenApiDispatcher(new MisbehavingProxy(), this.LoggerFactory.CreateLogger("openapi"), TimeSpan.FromMilliseconds(300));

        OpenApiResult twice = await this.CallAsync(dispatcher, fixture, "getUserInfo");
        OpenApiResult silent = await this.CallAsync(dispatcher, fixture, "getUserProfile");
        OpenApiResult throws = await this.CallAsync(dispatcher, fixture, "requestPayment");

        Assert.True(twice.Data["first"]!.GetValue<bool>());
        Assert.Null(twice.Data["second"]);
        await this.WaitForLogAsync(r => r.EventId == 3001 && r.Message.Contains("getUserInfo"));
        Assert.Equal(OpenApiErrno.Timeout, silent.Errno);
        await this.WaitForLogAsync(r => r.EventId == 3002 && r.Message.Contains("getUserProfile"));
        Assert.Equal(OpenApiErrno.InternalError, throws.Errno);
        Assert.DoesNotContain("secret", throws.Data[OpenApiErrno.MessageKey]!.GetValue<string>());
    }

    [Fact]
    public async Task TheVendorSamplesRaceGivesAnIncompleteAnswerAndTheAwaitableFormCannot()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);

        OpenApiResult vendor = await this.CallAsync(new OpenApiDispatcher(new VendorSampleProxy()), fixture, "getUserInfo");
        OpenApiResult ours = await this.CallAsync(new OpenApiDispatcher(new LeveledProxy(ApiLevel.V2)), fixture, "getUserInfo");

        Assert.Null(vendor.Data["userId"]);
        Assert.Equal(OpenApiFixture.User, ours.Data["userId"]!.GetValue<string>());
    }

    [Fact]
    public async Task NobodySignedInIsNotLoggedIn()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        fixture.SignedIn = null;
        var dispatcher = new OpenApiDispatcher(new LeveledProxy(ApiLevel.V2));

        foreach (string api in new[] { "login", "checkSession", "getEmail", "chooseAvatar" })
        {
            Assert.Equal(OpenApiErrno.NotLoggedIn, (await this.CallAsync(dispatcher, fixture, api)).Errno);
        }

        Assert.Equal(OpenApiErrno.NotLoggedIn, (await this.CallAsync(dispatcher, fixture, "requestPayment", new JsonObject { ["orderId"] = "x", ["amount"] = 1 })).Errno);
    }

    [Fact]
    public async Task AUserWithoutThatDataGetsNoData()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        fixture.SignedIn = "u-2002";
        var dispatcher = new OpenApiDispatcher(new LeveledProxy(ApiLevel.V2));

        Assert.Equal(OpenApiErrno.NoData, (await this.CallAsync(dispatcher, fixture, "getPhoneNumber")).Errno);
        Assert.Equal(OpenApiErrno.NoData, (await this.CallAsync(dispatcher, fixture, "chooseAvatar")).Errno);
        Assert.Equal("Bo", (await this.CallAsync(dispatcher, fixture, "getNickName")).Data["nickName"]!.GetValue<string>());
    }

    [Fact]
    public async Task ATokenPassedLastCancelsACallInFlightAndReachesTheImplementation()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var proxy = new SilentProxy();
        var dispatcher = new OpenApiDispatcher(proxy);
        using var cts = new CancellationTokenSource();

        Task<OpenApiResult> call = dispatcher.InvokeAsync(fixture.Context, "wx.getUserInfo", [], cts.Token);
        AsyncResult pending = await this.WithTimeoutAsync(proxy.Called.Task);
        await AssertStillPendingAsync(call);
        cts.Cancel();

        Assert.Equal(OpenApiErrno.Canceled, (await this.WithTimeoutAsync(call)).Errno);
        Assert.True(pending.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public async Task ATokenCancelledBeforeTheCallRunsNoImplementation()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var proxy = new SilentProxy();
        var dispatcher = new OpenApiDispatcher(proxy);

        string json = await this.WithTimeoutAsync(dispatcher.InvokeJsonAsync(fixture.Context, "wx.getUserInfo", "{}", new CancellationToken(canceled: true)));

        Assert.Equal(OpenApiErrno.Canceled, JsonNode.Parse(json)!["data"]![OpenApiErrno.Key]!.GetValue<int>());
        Assert.False(proxy.Called.Task.IsCompleted);
    }

    private Task<OpenApiResult> CallAsync(OpenApiDispatcher dispatcher, OpenApiFixture fixture, string api, JsonObject? parameters = null) =>
        this.WithTimeoutAsync(dispatcher.InvokeAsync(fixture.Context, api, parameters ?? []));

    private sealed class BareProxy : MiniOpenApiProxy
    {
    }

    /// <summary>Never answers <c>wx.getUserInfo</c>; says when it was called.</summary>
    private sealed class SilentProxy : MiniOpenApiProxy
    {
        public TaskCompletionSource<AsyncResult> Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void GetUserInfo(MiniAppContext context, JsonObject parameters, AsyncResult result) => this.Called.TrySetResult(result);
    }
}
