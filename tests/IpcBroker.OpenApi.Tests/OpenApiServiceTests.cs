using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Tests;
using Microsoft.Extensions.Time.Testing;

namespace IpcBroker.OpenApi.Tests;

/// <summary>Login codes, the code-to-session exchange, sessions, openids, and the store across a restart.</summary>
public class OpenApiServiceTests(ITestOutputHelper output) : TestBase(output)
{
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
        Assert.Equal(2, await service.RevokeAllAsync()); // the live session and the expired one
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
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task TheStoreDirectoryAndFilesAreTheOwnersOnly()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"ipcb-store-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "data", "openapi.db");
        try
        {
            await using (OpenApiStore store = await OpenApiStore.OpenAsync(path))
            {
                OpenApiService service = this.Service(store, "alice");
                await service.IssueLoginCodeAsync("wx-a", "alice");
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
                string[] files = Directory.GetFiles(Path.GetDirectoryName(path)!);
                Assert.Contains(path, files);
                Assert.Contains(path + "-wal", files);
                Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
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
                code = await service.IssueLoginCodeAsync("wx-a", "alice");
                openId = (await service.CodeToSessionAsync("wx-a", await service.IssueLoginCodeAsync("wx-a", "alice")))!.Value.OpenId;
                await first.AddOrderOrGetAsync(new OrderRecord("o-1", "wx-a", "alice", IpcBroker.OpenApi.PaymentKind.Payment, "h", "{}", OrderState.Pending, null, null), 1);
                await first.SettleOrderAsync("o-1", OrderState.Paid, "ref-1", null, 2);
            }

            await using OpenApiStore second = await OpenApiStore.OpenAsync(path);
            OpenApiService restarted = this.Service(second, "alice");
            Assert.True(await restarted.CheckSessionAsync("wx-a", "alice"));
            Assert.Equal(openId, (await restarted.CodeToSessionAsync("wx-a", code))!.Value.OpenId);
            OrderRecord order = (await second.GetOrderAsync("o-1"))!;
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
        await store.SettleOrderAsync("o-1", OrderState.Failed, "ref", "declined", 2);

        OrderRecord after = await store.SettleOrderAsync("o-1", OrderState.Paid, "ref-2", null, 3);

        Assert.Equal(OrderState.Failed, after.State);
        Assert.Equal("ref", after.ProviderRef);
    }

    private OpenApiService Service(OpenApiStore store, string? user) =>
        new(store, new SampleMiniAppProxy(() => user, new Dictionary<string, UserProfile>()), new OpenApiOptions { Clock = this.clock });
}
