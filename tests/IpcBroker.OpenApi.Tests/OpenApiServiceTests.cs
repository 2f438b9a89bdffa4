using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Tests;
using Microsoft.Extensions.Time.Testing;

namespace IpcBroker.OpenApi.Tests;

/// <summary>Login codes, the code-to-session exchange, sessions, openids, and the store across a restart.</summary>
public class OpenApiServiceTests(ITestOutputHelper output) : TestBase(output)
{
    private static readonly OrderKey AliceOrder = new("wx-a", "alice", "o-1");

    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ALoginCodeIsRedeemedOnceOnlyByItsMiniProgramAndOnlyBeforeItExpires()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        OpenApiService service = this.Service(store, "alice");

        string code = await service.IssueLoginCodeAsync("wx-a", "alice");
        Assert.Null(await service.CodeToSessionAsync("wx-b", code));
        Assert.NotNull(await service.CodeToSessionAsync("wx-a", code));
        Assert.Null(await service.CodeToSessionAsync("wx-a", code));

        string late = await service.IssueLoginCodeAsync("wx-a", "alice");
        this.clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromMilliseconds(1));
        Assert.Null(await service.CodeToSessionAsync("wx-a", late));
        Assert.Null(await service.CodeToSessionAsync("wx-a", "not-a-code"));
    }

    [Fact]
    public async Task AnOpenIdIsUniquePerMiniProgramAndUserAndStable()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        OpenApiService service = this.Service(store, "alice");

        async Task<string> OpenIdAsync(string appId, string user) => (await service.CodeToSessionAsync(appId, await service.IssueLoginCodeAsync(appId, user)))!.Value.OpenId;

        string aliceA = await OpenIdAsync("wx-a", "alice");
        Assert.Equal(aliceA, await OpenIdAsync("wx-a", "alice"));
        Assert.NotEqual(aliceA, await OpenIdAsync("wx-b", "alice"));
        Assert.NotEqual(aliceA, await OpenIdAsync("wx-a", "bob"));
        Assert.DoesNotContain("alice", aliceA);
    }

    [Fact]
    public async Task CheckSessionIsTrueWhileTheSessionLivesAndFalseAfterExpiryOrLogout()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        OpenApiService service = this.Service(store, "alice");

        Assert.False(await service.CheckSessionAsync("wx-a", "alice"));
        await service.CodeToSessionAsync("wx-a", await service.IssueLoginCodeAsync("wx-a", "alice"));
        Assert.True(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.False(await service.CheckSessionAsync("wx-b", "alice"));
        this.clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));
        Assert.False(await service.CheckSessionAsync("wx-a", "alice"));

        await service.CodeToSessionAsync("wx-a", await service.IssueLoginCodeAsync("wx-a", "alice"));
        string unused = await service.IssueLoginCodeAsync("wx-a", "alice");
        Assert.True(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.Equal(1, await service.RevokeAllAsync()); // the live one: each login replaced (revoked) the one before
        Assert.False(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.Null(await service.CodeToSessionAsync("wx-a", unused));
    }

    [Fact]
    public async Task CheckSessionSucceedsRightAfterLoginBeforeTheBackendRedeemsTheCode()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        OpenApiService service = this.Service(store, "alice");

        await service.IssueLoginCodeAsync("wx-a", "alice");

        Assert.True(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.False(await service.CheckSessionAsync("wx-b", "alice"));
        Assert.False(await service.CheckSessionAsync("wx-a", "bob"));
    }

    [Fact]
    public async Task CodeToSessionGivesTheSessionKeyOfTheLoginThatIssuedTheCodeWhileItLives()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        OpenApiService service = this.Service(store, "alice");

        string first = await service.IssueLoginCodeAsync("wx-a", "alice");
        (string OpenId, string SessionKey) firstSession = (await service.CodeToSessionAsync("wx-a", first))!.Value;
        Assert.True(await service.CheckSessionKeyAsync("wx-a", firstSession.OpenId, firstSession.SessionKey));

        // A new login replaces the session: one valid session key per user and mini program.
        string replaced = await service.IssueLoginCodeAsync("wx-a", "alice");
        string second = await service.IssueLoginCodeAsync("wx-a", "alice");
        Assert.False(await service.CheckSessionKeyAsync("wx-a", firstSession.OpenId, firstSession.SessionKey));
        Assert.Null(await service.CodeToSessionAsync("wx-a", replaced));
        (string OpenId, string SessionKey) secondSession = (await service.CodeToSessionAsync("wx-a", second))!.Value;
        Assert.Equal(firstSession.OpenId, secondSession.OpenId);
        Assert.NotEqual(firstSession.SessionKey, secondSession.SessionKey);
        Assert.True(await service.CheckSessionKeyAsync("wx-a", secondSession.OpenId, secondSession.SessionKey));
        Assert.False(await service.CheckSessionKeyAsync("wx-b", secondSession.OpenId, secondSession.SessionKey));

        this.clock.Advance(TimeSpan.FromHours(2) + TimeSpan.FromMilliseconds(1));
        Assert.False(await service.CheckSessionKeyAsync("wx-a", secondSession.OpenId, secondSession.SessionKey));
        Assert.False(await service.CheckSessionAsync("wx-a", "alice"));
    }

    [Fact]
    public async Task ALoginsSessionEndsAtExpiryAndAtLogoutEvenIfNeverRedeemed()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        OpenApiService service = this.Service(store, "alice");

        string expiring = await service.IssueLoginCodeAsync("wx-a", "alice");
        this.clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromMilliseconds(1));
        Assert.True(await service.CheckSessionAsync("wx-a", "alice"));
        this.clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.Null(await service.CodeToSessionAsync("wx-a", expiring));

        string revoked = await service.IssueLoginCodeAsync("wx-a", "alice");
        Assert.True(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.Equal(1, await service.RevokeAllAsync());
        Assert.False(await service.CheckSessionAsync("wx-a", "alice"));
        Assert.Null(await service.CodeToSessionAsync("wx-a", revoked));
    }

    [Fact]
    public async Task TheStoreKeepsCodesSessionsOpenIdsAndOrdersAcrossARestart()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ipcb-store-{Guid.NewGuid():N}", "openapi.db");
        try
        {
            string code, openId;
            await using (OpenApiStore first = await OpenApiStore.OpenAsync(path))
            {
                OpenApiService service = this.Service(first, "alice");
                openId = (await service.CodeToSessionAsync("wx-a", await service.IssueLoginCodeAsync("wx-a", "alice")))!.Value.OpenId;
                code = await service.IssueLoginCodeAsync("wx-a", "alice");
                await first.AddOrderOrGetAsync(new OrderRecord("o-1", "wx-a", "alice", IpcBroker.OpenApi.PaymentKind.Payment, "h", "{}", OrderState.Pending, null, null), 1);
                Assert.NotNull(await first.TryClaimOrderAsync(AliceOrder, 2));
                await first.SettleOrderAsync(AliceOrder, OrderState.Paid, "ref-1", null, 2);
            }

            await using OpenApiStore second = await OpenApiStore.OpenAsync(path);
            OpenApiService restarted = this.Service(second, "alice");
            Assert.True(await restarted.CheckSessionAsync("wx-a", "alice"));
            Assert.Equal(openId, (await restarted.CodeToSessionAsync("wx-a", code))!.Value.OpenId);
            OrderRecord order = (await second.GetOrderAsync(AliceOrder))!;
            Assert.Equal((OrderState.Paid, "ref-1"), (order.State, order.ProviderRef));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task ASettledOrderIsNeverSettledAgain()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        await store.AddOrderOrGetAsync(new OrderRecord("o-1", "wx-a", "alice", IpcBroker.OpenApi.PaymentKind.Payment, "h", "{}", OrderState.Pending, null, null), 1);
        Assert.Null(await store.TryClaimOrderAsync(new OrderKey("wx-b", "alice", "o-1"), 2));
        Assert.NotNull(await store.TryClaimOrderAsync(AliceOrder, 2));
        await store.SettleOrderAsync(AliceOrder, OrderState.Failed, "ref", "declined", 2);

        OrderRecord after = await store.SettleOrderAsync(AliceOrder, OrderState.Paid, "ref-2", null, 3);

        Assert.Equal(OrderState.Failed, after.State);
        Assert.Equal("ref", after.ProviderRef);
        Assert.Null(await store.TryClaimOrderAsync(AliceOrder, 4));
    }

    private OpenApiService Service(OpenApiStore store, string? user) =>
        new(store, new SampleMiniAppProxy(() => user, new Dictionary<string, UserProfile>()), new OpenApiOptions { Clock = this.clock });
}
