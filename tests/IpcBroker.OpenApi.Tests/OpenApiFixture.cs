using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Nerdbank.Streams;

namespace IpcBroker.OpenApi.Tests;

/// <summary>
/// Both sides of the open APIs in one process: the main side's plugins (over an in-memory store) and a mini program's
/// context, joined by an in-memory <see cref="IpcConnection"/> pair. The mini program is <c>wx-app-1</c> as the session knows
/// it, unless the test names another; fixtures may share one store (two mini programs of one host).
/// </summary>
internal sealed class OpenApiFixture : IAsyncDisposable
{
    public const string User = "u-1001";

    private readonly bool ownsStore;

    private OpenApiFixture(string appId, ILoggerFactory loggers, OpenApiStore store, bool ownsStore, OpenApiService service, string sandbox)
    {
        (Stream mainStream, Stream miniStream) = FullDuplexStream.CreatePair();
        var miniIdentity = ConnectionPair.MiniIdentity with { AppId = appId };

        // The main side's incoming calls come from the mini process, and the other way round.
        this.Main = IpcConnection.Start(mainStream, this.MainRegistry, miniIdentity, null, loggers.CreateLogger("main"));
        this.Mini = IpcConnection.Start(miniStream, new IpcEventRegistry(IpcSide.Mini), ConnectionPair.MainIdentity with { AppId = appId }, null, loggers.CreateLogger("mini"));
        this.Store = store;
        this.ownsStore = ownsStore;
        this.Service = service;
        this.Sandbox = sandbox;
        this.Context = new MiniAppContext(appId, miniIdentity.VerType, sandbox, new ConnectionCaller(this.Mini));
    }

    public static FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public string? SignedIn { get; set; } = User;

    public OpenApiStore Store { get; }

    public OpenApiService Service { get; }

    public SamplePaymentProvider Provider { get; } = new();

    public MiniAppContext Context { get; }

    public string Sandbox { get; }

    public IpcEventRegistry MainRegistry { get; } = new(IpcSide.Main);

    /// <summary>Gets the main side's end: its incoming calls come from the mini program.</summary>
    public IpcConnection Main { get; }

    /// <summary>Gets the mini side's end, to call the main process as a (possibly hostile) mini process would.</summary>
    public IpcConnection Mini { get; }

    /// <summary>Creates the fixture.</summary>
    /// <param name="loggers">Logs.</param>
    /// <param name="options">Open-API settings (the shared fake clock by default).</param>
    /// <param name="store">A store to share with another fixture (the caller disposes it); a new in-memory one by default.</param>
    /// <param name="appId">The mini program the main side's session is bound to.</param>
    /// <param name="provider">The payment provider; <see cref="Provider"/> by default.</param>
    public static async Task<OpenApiFixture> CreateAsync(ILoggerFactory loggers, OpenApiOptions? options = null, OpenApiStore? store = null, string? appId = null, IPaymentProvider? provider = null)
    {
        bool ownsStore = store is null;
        store ??= await OpenApiStore.OpenInMemoryAsync();
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
        fixture = new OpenApiFixture(appId ?? ConnectionPair.MiniIdentity.AppId, loggers, store, ownsStore, service, sandbox);
        fixture.MainRegistry.Register(new OpenDataPlugin(service));
        fixture.MainRegistry.Register(new PaymentPlugin(service, provider ?? fixture.Provider));
        fixture.MainRegistry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle().PutString("userId", fixture.SignedIn).PutString("nickName", "Ada").PutString("avatarUrl", "https://example.invalid/a.png")));
        return fixture;
    }

    public async ValueTask DisposeAsync()
    {
        await this.Mini.DisposeAsync();
        await this.Main.DisposeAsync();
        if (this.ownsStore)
        {
            await this.Store.DisposeAsync();
        }

        Directory.Delete(this.Sandbox, recursive: true);
    }

    /// <summary>The mini side's way to the main process over the in-memory connection.</summary>
    private sealed class ConnectionCaller(IpcConnection connection) : IMainProcessCaller
    {
        public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) => connection.CallAsync(eventId, request, options, cancellationToken);
    }
}
