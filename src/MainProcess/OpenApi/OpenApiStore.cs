using IpcBroker.OpenApi;
using Microsoft.Data.Sqlite;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// The embedded store of the open APIs: login codes, sessions, auth codes, payment orders and the host's openid key, in
/// SQLite. The schema is created on first open; everything survives a host restart when the store is a file.
/// </summary>
/// <remarks>
/// One connection, used by one operation at a time (a semaphore): SQLite serializes writers anyway, and single-statement
/// operations with <c>RETURNING</c> make each redemption atomic. Timestamps are Unix milliseconds from the caller's clock.
/// </remarks>
public sealed class OpenApiStore : IAsyncDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS login_codes (code TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS auth_codes (code TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS sessions (session_key TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, openid TEXT NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS sessions_by_app_user ON sessions (app_id, user_id);
        CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, kind TEXT NOT NULL, params_hash TEXT NOT NULL, params TEXT NOT NULL, state TEXT NOT NULL, provider_ref TEXT, error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
        """;

    private readonly SqliteConnection connection;
    private readonly SemaphoreSlim gate = new(1, 1);

    private OpenApiStore(SqliteConnection connection)
    {
        this.connection = connection;
    }

    /// <summary>Gets the file the store lives in, or null in memory.</summary>
    public string? Path { get; private init; }

    /// <summary>Opens (creating if needed) a store in <paramref name="path"/>; its directory is created if missing.</summary>
    /// <param name="path">The database file, e.g. in the host's data directory.</param>
    /// <returns>The store.</returns>
    public static Task<OpenApiStore> OpenAsync(string path)
    {
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        return OpenCoreAsync(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString(), path);
    }

    /// <summary>Opens a store that lives in memory and ends with this object, for fast tests.</summary>
    /// <returns>The store.</returns>
    public static Task<OpenApiStore> OpenInMemoryAsync() => OpenCoreAsync("Data Source=:memory:", null);

    /// <summary>Gets the value of <paramref name="key"/>, creating it with <paramref name="create"/> on first use.</summary>
    /// <param name="key">The key.</param>
    /// <param name="create">Makes the value.</param>
    /// <returns>The value.</returns>
    public Task<string> GetOrCreateMetaAsync(string key, Func<string> create) => this.WithGateAsync(async () =>
    {
        await this.ExecuteAsync("INSERT OR IGNORE INTO meta (key, value) VALUES ($k, $v)", ("$k", key), ("$v", create())).ConfigureAwait(false);
        return (string)(await this.ScalarAsync("SELECT value FROM meta WHERE key = $k", ("$k", key)).ConfigureAwait(false))!;
    });

    /// <summary>Stores a single-use code (login or auth).</summary>
    /// <param name="table">Which kind of code.</param>
    /// <param name="code">The code.</param>
    /// <param name="appId">The mini program it is for.</param>
    /// <param name="userId">The user it is for.</param>
    /// <param name="expiresAt">When it expires (Unix ms).</param>
    /// <returns>A task.</returns>
    public Task AddCodeAsync(CodeKind table, string code, string appId, string userId, long expiresAt) => this.WithGateAsync(() =>
        this.ExecuteAsync($"INSERT INTO {TableOf(table)} (code, app_id, user_id, expires_at) VALUES ($c, $a, $u, $e)", ("$c", code), ("$a", appId), ("$u", userId), ("$e", expiresAt)));

    /// <summary>Redeems a code once: it must exist, be for <paramref name="appId"/>, unused and unexpired; it is used up atomically.</summary>
    /// <param name="table">Which kind of code.</param>
    /// <param name="code">The code.</param>
    /// <param name="appId">The mini program presenting it.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <returns>The user it was issued for, or null.</returns>
    public Task<string?> RedeemCodeAsync(CodeKind table, string code, string appId, long now) => this.WithGateAsync(async () =>
        (string?)await this.ScalarAsync($"UPDATE {TableOf(table)} SET used = 1 WHERE code = $c AND app_id = $a AND used = 0 AND expires_at > $n RETURNING user_id", ("$c", code), ("$a", appId), ("$n", now)).ConfigureAwait(false));

    /// <summary>Stores a login session.</summary>
    /// <param name="sessionKey">The session key.</param>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The user.</param>
    /// <param name="openId">The user's openid for this mini program.</param>
    /// <param name="expiresAt">When it expires (Unix ms).</param>
    /// <returns>A task.</returns>
    public Task AddSessionAsync(string sessionKey, string appId, string userId, string openId, long expiresAt) => this.WithGateAsync(() =>
        this.ExecuteAsync("INSERT INTO sessions (session_key, app_id, user_id, openid, expires_at) VALUES ($k, $a, $u, $o, $e)", ("$k", sessionKey), ("$a", appId), ("$u", userId), ("$o", openId), ("$e", expiresAt)));

    /// <summary>Tells whether (appId, user) has a session that is neither expired nor revoked.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The user.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <returns>Whether one exists.</returns>
    public Task<bool> HasLiveSessionAsync(string appId, string userId, long now) => this.WithGateAsync(async () =>
        await this.ScalarAsync("SELECT 1 FROM sessions WHERE app_id = $a AND user_id = $u AND revoked = 0 AND expires_at > $n LIMIT 1", ("$a", appId), ("$u", userId), ("$n", now)).ConfigureAwait(false) is not null);

    /// <summary>Revokes every session, and every unused code, of every user (logout).</summary>
    /// <returns>How many sessions were revoked.</returns>
    public Task<int> RevokeAllAsync() => this.WithGateAsync(async () =>
    {
        await this.ExecuteAsync("UPDATE login_codes SET used = 1 WHERE used = 0").ConfigureAwait(false);
        await this.ExecuteAsync("UPDATE auth_codes SET used = 1 WHERE used = 0").ConfigureAwait(false);
        return await this.ExecuteAsync("UPDATE sessions SET revoked = 1 WHERE revoked = 0").ConfigureAwait(false);
    });

    /// <summary>Writes a new pending order, unless one with its id exists.</summary>
    /// <param name="order">The order.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <returns>The stored order: the new one, or the one that was there.</returns>
    public Task<OrderRecord> AddOrderOrGetAsync(OrderRecord order, long now) => this.WithGateAsync(async () =>
    {
        await this.ExecuteAsync(
            "INSERT OR IGNORE INTO orders (order_id, app_id, user_id, kind, params_hash, params, state, created_at, updated_at) VALUES ($o, $a, $u, $k, $h, $p, $s, $n, $n)",
            ("$o", order.OrderId), ("$a", order.AppId), ("$u", order.UserId), ("$k", order.Kind.ToString()), ("$h", order.ParamsHash), ("$p", order.Params), ("$s", order.State.ToString()), ("$n", now)).ConfigureAwait(false);
        return (await this.ReadOrderAsync(order.OrderId).ConfigureAwait(false))!;
    });

    /// <summary>Gets an order.</summary>
    /// <param name="orderId">The order id.</param>
    /// <returns>The order, or null.</returns>
    public Task<OrderRecord?> GetOrderAsync(string orderId) => this.WithGateAsync(() => this.ReadOrderAsync(orderId));

    /// <summary>Records the provider's answer on a pending order (an order already settled is left as it is).</summary>
    /// <param name="orderId">The order id.</param>
    /// <param name="state">Paid or failed.</param>
    /// <param name="providerRef">The provider's reference.</param>
    /// <param name="error">The provider's reason for a failure.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <returns>The order as stored afterwards.</returns>
    public Task<OrderRecord> SettleOrderAsync(string orderId, OrderState state, string? providerRef, string? error, long now) => this.WithGateAsync(async () =>
    {
        await this.ExecuteAsync(
            "UPDATE orders SET state = $s, provider_ref = $r, error = $e, updated_at = $n WHERE order_id = $o AND state = 'Pending'",
            ("$s", state.ToString()), ("$r", providerRef), ("$e", error), ("$n", now), ("$o", orderId)).ConfigureAwait(false);
        return (await this.ReadOrderAsync(orderId).ConfigureAwait(false))!;
    });

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await this.connection.DisposeAsync().ConfigureAwait(false);
        this.gate.Dispose();
    }

    private static async Task<OpenApiStore> OpenCoreAsync(string connectionString, string? path)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        var store = new OpenApiStore(connection) { Path = path };
        await store.ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").ConfigureAwait(false);
        await store.ExecuteAsync(Schema).ConfigureAwait(false);
        return store;
    }

    private static string TableOf(CodeKind kind) => kind == CodeKind.Login ? "login_codes" : "auth_codes";

    private async Task<T> WithGateAsync<T>(Func<Task<T>> operation)
    {
        await this.gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return await operation().ConfigureAwait(false);
        }
        finally
        {
            this.gate.Release();
        }
    }

    private Task WithGateAsync(Func<Task> operation) => this.WithGateAsync(async () =>
    {
        await operation().ConfigureAwait(false);
        return 0;
    });

    private async Task<OrderRecord?> ReadOrderAsync(string orderId)
    {
        await using SqliteCommand command = this.Command("SELECT order_id, app_id, user_id, kind, params_hash, params, state, provider_ref, error FROM orders WHERE order_id = $o", [("$o", orderId)]);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (!await reader.ReadAsync().ConfigureAwait(false))
        {
            return null;
        }

        return new OrderRecord(
            reader.GetString(0),
            reader.GetString(1),
            reader.GetString(2),
            Enum.Parse<PaymentKind>(reader.GetString(3)),
            reader.GetString(4),
            reader.GetString(5),
            Enum.Parse<OrderState>(reader.GetString(6)),
            await reader.IsDBNullAsync(7).ConfigureAwait(false) ? null : reader.GetString(7),
            await reader.IsDBNullAsync(8).ConfigureAwait(false) ? null : reader.GetString(8));
    }

    private async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using SqliteCommand command = this.Command(sql, parameters);
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private async Task<object?> ScalarAsync(string sql, params (string Name, object? Value)[] parameters)
    {
        await using SqliteCommand command = this.Command(sql, parameters);
        return await command.ExecuteScalarAsync().ConfigureAwait(false);
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = this.connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
