using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace IpcBroker.OpenApi.Tests;

/// <summary>
/// Both sides of the open APIs in one process: the main side's plugins (over an in-memory store) and a mini program's
/// context, joined by an in-memory <see cref="IpcConnection"/> pair. The mini program is <c>wx-app-1</c> as the session knows it.
/// </summary>
internal sealed class OpenApiFixture : IAsyncDisposable
{
    public const string User = "u-1001";

    private readonly ConnectionPair pair;

    private OpenApiFixture(ConnectionPair pair, OpenApiStore store, OpenApiService service, string sandbox)
    {
        this.pair = pair;
        this.Store = store;
        this.Service = service;
        this.Sandbox = sandbox;
        this.Context = new MiniAppContext(ConnectionPair.MiniIdentity.AppId, ConnectionPair.MiniIdentity.VerType, sandbox, new ConnectionCaller(pair.Mini));
    }

    public static FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public string? SignedIn { get; set; } = User;

    public OpenApiStore Store { get; }

    public OpenApiService Service { get; }

    public SamplePaymentProvider Provider { get; } = new();

    public MiniAppContext Context { get; }

    public string Sandbox { get; }

    public ConnectionPair Pair => this.pair;

    public static async Task<OpenApiFixture> CreateAsync(ILoggerFactory loggers, OpenApiOptions? options = null, OpenApiStore? store = null)
    {
        store ??= await OpenApiStore.OpenInMemoryAsync();
        var pair = new ConnectionPair(loggers);
        string sandbox = Path.Combine(Path.GetTempPath(), "ipcb-openapi-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(sandbox);
        OpenApiFixture? fixture = null;
        var account = new SampleMiniAppProxy(
            () => fixture!.SignedIn,
            new Dictionary<string, UserProfile>
            {
                [User] = new("Ada", "ada@example.invalid", "+86 138 0000 0000", new byte[2 * 1024 * 1024], "image/png"),
                ["u-2002"] = new("Bo"),
            });
        var service = new OpenApiService(store, account, options ?? new OpenApiOptions { Clock = Clock });
        fixture = new OpenApiFixture(pair, store, service, sandbox);
        pair.MainRegistry.Register(new OpenDataPlugin(service));
        pair.MainRegistry.Register(new PaymentPlugin(service, fixture.Provider));
        pair.MainRegistry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle().PutString("userId", fixture.SignedIn).PutString("nickName", "Ada").PutString("avatarUrl", "https://example.invalid/a.png")));
        return fixture;
    }

    public async ValueTask DisposeAsync()
    {
        await this.pair.DisposeAsync();
        await this.Store.DisposeAsync();
        Directory.Delete(this.Sandbox, recursive: true);
    }

    /// <summary>The mini side's way to the main process over the in-memory connection.</summary>
    private sealed class ConnectionCaller(IpcConnection connection) : IMainProcessCaller
    {
        public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null) => connection.CallAsync(eventId, request, options);
    }
}
