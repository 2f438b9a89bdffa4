using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Tests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace IpcBroker.OpenApi.Tests;

/// <summary>The store's files: their modes, and a store written by an older version migrated with nothing lost.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OpenApiStoreTests(ITestOutputHelper output) : TestBase(output)
{
    /// <summary>The schema the store wrote before it had versions (user_version 0), as it was.</summary>
    private const string SchemaVersion0 = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS login_codes (code TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS auth_codes (code TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS sessions (session_key TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, openid TEXT NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS sessions_by_app_user ON sessions (app_id, user_id);
        CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, kind TEXT NOT NULL, params_hash TEXT NOT NULL, params TEXT NOT NULL, state TEXT NOT NULL, provider_ref TEXT, error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        """;

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string root = Path.Combine(Path.GetTempPath(), $"ipcb-store-{Guid.NewGuid():N}");

    [Fact]
    public async Task TheStoreDirectoryAndFilesAreTheOwnersOnly()
    {
        string path = Path.Combine(this.root, "data", "openapi.db");

        await using (OpenApiStore store = await OpenApiStore.OpenAsync(path))
        {
            await store.AddCodeAsync(CodeKind.Auth, "c-1", "wx-a", "alice", 1);
            string[] files = Directory.GetFiles(Path.GetDirectoryName(path)!);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
            Assert.Contains(path, files);
            Assert.Contains(path + "-wal", files);
            Assert.All(files, f => Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(f)));
        }
    }

    [Fact]
    public async Task AStoreFileWrittenWithLooserModesIsNarrowedOnOpen()
    {
        Directory.CreateDirectory(this.root);
        string path = Path.Combine(this.root, "openapi.db");
        await File.WriteAllBytesAsync(path, [], this.TimeoutToken);
        File.SetUnixFileMode(path, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using OpenApiStore store = await OpenApiStore.OpenAsync(path);

        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task AStoreWrittenBeforeSchemaVersionsIsMigratedAndKeepsItsOrdersCodesAndSessions()
    {
        Directory.CreateDirectory(this.root);
        string path = Path.Combine(this.root, "openapi.db");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        string canonical = CanonicalJson.Write(new JsonObject { ["orderId"] = "o-1", ["amount"] = 1 });
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PaymentKind.Payment + "\n" + canonical)));
        await using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync(this.TimeoutToken);
            await using SqliteCommand command = old.CreateCommand();
            command.CommandText = SchemaVersion0 + $"""
                INSERT INTO orders (order_id, app_id, user_id, kind, params_hash, params, state, provider_ref, error, created_at, updated_at)
                    VALUES ('o-1', 'wx-app-a', '{OpenApiFixture.User}', 'Payment', '{hash}', '{canonical}', 'Paid', 'ref-before', NULL, 1, 2);
                INSERT INTO login_codes (code, app_id, user_id, expires_at) VALUES ('code-before', 'wx-app-a', '{OpenApiFixture.User}', {now + 60_000});
                """;
            await command.ExecuteNonQueryAsync(this.TimeoutToken);
        }

        var provider = new CountingProvider();
        await using (OpenApiStore store = await OpenApiStore.OpenAsync(path))
        {
            var options = new OpenApiOptions { Clock = clock };
            await using OpenApiFixture appA = await OpenApiFixture.CreateAsync(this.LoggerFactory, options, store, "wx-app-a", provider);
            await using OpenApiFixture appB = await OpenApiFixture.CreateAsync(this.LoggerFactory, options, store, "wx-app-b", provider);

            OpenApiResult query = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(appA.Context, "o-1", this.TimeoutToken));
            OpenApiResult again = await this.WithTimeoutAsync(PaymentOpenApis.PayAsync(appA.Context, PaymentKind.Payment, new JsonObject { ["amount"] = 1, ["orderId"] = "o-1" }, this.TimeoutToken));
            OpenApiResult otherApp = await this.WithTimeoutAsync(PaymentOpenApis.PayAsync(appB.Context, PaymentKind.Payment, new JsonObject { ["orderId"] = "o-1", ["amount"] = 1 }, this.TimeoutToken));
            (string OpenId, string SessionKey)? session = await appA.Service.CodeToSessionAsync("wx-app-a", "code-before");

            Assert.Equal(("Paid", "ref-before"), (query.Data["state"]!.GetValue<string>(), query.Data["providerRef"]!.GetValue<string>()));
            Assert.Equal(("Paid", "ref-before"), (again.Data["state"]!.GetValue<string>(), again.Data["providerRef"]!.GetValue<string>()));
            Assert.Equal("Paid", otherApp.Data["state"]!.GetValue<string>());
            Assert.Equal(["wx-app-b"], provider.Calls.Select(c => c.AppId).ToArray());
            Assert.NotNull(session);
            Assert.True(await appA.Service.CheckSessionKeyAsync("wx-app-a", session.Value.OpenId, session.Value.SessionKey));
        }

        await using (var reopened = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await reopened.OpenAsync(this.TimeoutToken);
            await using SqliteCommand version = reopened.CreateCommand();
            version.CommandText = "PRAGMA user_version";
            Assert.Equal((long)OpenApiStore.SchemaVersion, (long)(await version.ExecuteScalarAsync(this.TimeoutToken))!);
        }
    }

    [Fact]
    public async Task AStoreFileIsHeldByOneStoreAtATime()
    {
        string path = Path.Combine(this.root, "openapi.db");
        await using OpenApiStore first = await OpenApiStore.OpenAsync(path);

        var connection = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 1 }.ToString();
        await using var second = new SqliteConnection(connection);
        await second.OpenAsync(this.TimeoutToken);
        await using SqliteCommand read = second.CreateCommand();
        read.CommandText = "SELECT count(*) FROM orders";

        Assert.Equal(5, (await Assert.ThrowsAsync<SqliteException>(() => read.ExecuteScalarAsync(this.TimeoutToken))).SqliteErrorCode); // SQLITE_BUSY
    }

    [Fact]
    public async Task ATokenCancelledBeforeAnOperationFailsItAtOnceAndStoresNothing()
    {
        await using OpenApiStore store = await this.WithTimeoutAsync(OpenApiStore.OpenInMemoryAsync(this.TimeoutToken));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.GetOrCreateMetaAsync("k", () => "first", new CancellationToken(canceled: true)));

        Assert.Equal("second", await this.WithTimeoutAsync(store.GetOrCreateMetaAsync("k", () => "second", this.TimeoutToken)));
    }

    [Fact]
    public async Task DisposingClosesTheFileAndASecondDisposeIsHarmless()
    {
        string path = Path.Combine(this.root, "dispose.db");
        OpenApiStore store = await this.WithTimeoutAsync(OpenApiStore.OpenAsync(path));
        Assert.Equal("v", await this.WithTimeoutAsync(store.GetOrCreateMetaAsync("k", () => "v")));
        Assert.NotEmpty(DescriptorsOpenOn(path));

        await store.DisposeAsync();
        await store.DisposeAsync();

        Assert.Empty(DescriptorsOpenOn(path));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetOrCreateMetaAsync("k", () => "w"));

        // The exclusive lock went with the file: another store opens it and finds what the first wrote.
        await using OpenApiStore again = await this.WithTimeoutAsync(OpenApiStore.OpenAsync(path));
        Assert.Equal("v", await this.WithTimeoutAsync(again.GetOrCreateMetaAsync("k", () => "w")));
    }

    public override void Dispose()
    {
        base.Dispose();
        if (Directory.Exists(this.root))
        {
            Directory.Delete(this.root, recursive: true);
        }
    }

    /// <summary>This process's descriptors open on <paramref name="path"/> (Linux: /proc/self/fd).</summary>
    private static string[] DescriptorsOpenOn(string path)
    {
        string full = Path.GetFullPath(path);
        return Directory.GetFiles("/proc/self/fd").Where(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget == full;
            }
            catch (IOException)
            {
                return false; // closed meanwhile
            }
        }).ToArray();
    }
}
