using System.Collections.Concurrent;
using System.Security.Cryptography;
using IpcBroker.OpenApi;
using Microsoft.Data.Sqlite;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// The embedded store of the open APIs: login codes, sessions, auth codes, payment orders and the host's openid key, in
/// SQLite. The schema is created on first open, and a store written by an older version is migrated; everything survives a
/// host restart when the store is a file.
/// </summary>
/// <remarks>
/// <para>One connection, used by one operation at a time (a semaphore): SQLite serializes writers anyway, and single-statement
/// operations with <c>RETURNING</c> make each redemption and each order claim atomic. Timestamps are Unix milliseconds from
/// the caller's clock.</para>
/// <para>A file store is held with SQLite's exclusive locking mode: one host process at a time (another one opening the file
/// fails with "database is locked"). Order claims rely on it: a claim made under another <see cref="OpenApiStore"/>
/// instance of the file is one of a host that has ended.</para>
/// <para>On Unix the directory the store creates is 0700 and the database and its -wal/-shm/-journal files are 0600 (SQLite
/// gives its side files the database file's mode); an existing database file is narrowed to 0600 on open.</para>
/// </remarks>
public sealed class OpenApiStore : IAsyncDisposable
{
    /// <summary>
    /// The schema version this code writes (<c>PRAGMA user_version</c>). 0 is the schema before versions: orders keyed by
    /// order id alone, login codes without a session key. 1: orders keyed by (app, user, order id) with a claim owner; each
    /// login code names the session its <c>wx.login</c> opened.
    /// </summary>
    internal const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS login_codes (code TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, session_key TEXT);
        CREATE TABLE IF NOT EXISTS auth_codes (code TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS sessions (session_key TEXT PRIMARY KEY, app_id TEXT NOT NULL, user_id TEXT NOT NULL, openid TEXT NOT NULL, expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS sessions_by_app_user ON sessions (app_id, user_id);
        CREATE TABLE IF NOT EXISTS orders (app_id TEXT NOT NULL, user_id TEXT NOT NULL, order_id TEXT NOT NULL, kind TEXT NOT NULL, params_hash TEXT NOT NULL, params TEXT NOT NULL, state TEXT NOT NULL, claimed_by TEXT, provider_ref TEXT, error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (app_id, user_id, order_id));
        """;

    /// <summary>From version 0: rebuild orders under the new key (every row keeps its app and user), and give login codes a session key column.</summary>
    private const string MigrateFrom0 = """
        ALTER TABLE login_codes ADD COLUMN session_key TEXT;
        CREATE TABLE orders_v1 (app_id TEXT NOT NULL, user_id TEXT NOT NULL, order_id TEXT NOT NULL, kind TEXT NOT NULL, params_hash TEXT NOT NULL, params TEXT NOT NULL, state TEXT NOT NULL, claimed_by TEXT, provider_ref TEXT, error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (app_id, user_id, order_id));
        INSERT INTO orders_v1 (app_id, user_id, order_id, kind, params_hash, params, state, claimed_by, provider_ref, error, created_at, updated_at)
            SELECT app_id, user_id, order_id, kind, params_hash, params, state, NULL, provider_ref, error, created_at, updated_at FROM orders;
        DROP TABLE orders;
        ALTER TABLE orders_v1 RENAME TO orders;
        """;

    private const string OrderColumns = "app_id, user_id, order_id, kind, params_hash, params, state, provider_ref, error";
    private const string OrderKeyMatches = "app_id = $a AND user_id = $u AND order_id = $o";

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly SqliteConnection connection;
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Marks the claims this instance makes; a claim with another mark is one of a host that has ended.</summary>
    private readonly string owner = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The transaction the gate holder runs in, if any; only touched under <see cref="gate"/>.</summary>
    private SqliteTransaction? transaction;

    /// <summary>1 once <see cref="DisposeAsync"/> has begun.</summary>
    private int disposed;

    private OpenApiStore(SqliteConnection connection)
    {
        this.connection = connection;
    }

    /// <summary>Gets the file the store lives in, or null in memory.</summary>
    public string? Path { get; private init; }

    /// <summary>
    /// Gets the charges this instance has claimed and not yet settled, by order: every <see cref="PaymentPlugin"/> over this
    /// store joins the one in flight instead of asking the provider again. An entry is removed only after its outcome (or
    /// the release of its claim) is stored, so an order found <see cref="OrderState.Charging"/> under this instance's claim
    /// with no entry here has just been settled: read it again.
    /// </summary>
    internal ConcurrentDictionary<OrderKey, Task<OrderRecord>> ChargesInFlight { get; } = new();

    /// <summary>
    /// Opens (creating if needed) a store in <paramref name="path"/>; its directory is created if missing (0700 on Unix), the
    /// file is 0600, and a store of an older schema is migrated.
    /// </summary>
    /// <param name="path">The database file, e.g. in the host's data directory.</param>
    /// <param name="cancellationToken">Cancels opening; a store half opened is closed again.</param>
    /// <returns>The store.</returns>
    /// <exception cref="SqliteException">Another process holds the store ("database is locked"), or the file is not a store.</exception>
    /// <exception cref="NotSupportedException">The store was written by a newer version.</exception>
    public static Task<OpenApiStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        string? directory = System.IO.Path.GetDirectoryName(fullPath);
        if (OperatingSystem.IsWindows())
        {
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }
        }
        else
        {
            PrepareOwnerOnlyFiles(fullPath, directory);
        }

        return OpenCoreAsync(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString(), path, cancellationToken);
    }

    /// <summary>Opens a store that lives in memory and ends with this object, for fast tests.</summary>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The store.</returns>
    public static Task<OpenApiStore> OpenInMemoryAsync(CancellationToken cancellationToken = default) => OpenCoreAsync("Data Source=:memory:", null, cancellationToken);

    /// <summary>Gets the value of <paramref name="key"/>, creating it with <paramref name="create"/> on first use.</summary>
    /// <param name="key">The key.</param>
    /// <param name="create">Makes the value.</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>The value.</returns>
    public Task<string> GetOrCreateMetaAsync(string key, Func<string> create, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, async () =>
    {
        await this.ExecuteAsync("INSERT OR IGNORE INTO meta (key, value) VALUES ($k, $v)", ("$k", key), ("$v", create())).ConfigureAwait(false);
        return (string)(await this.ScalarAsync("SELECT value FROM meta WHERE key = $k", ("$k", key)).ConfigureAwait(false))!;
    });

    /// <summary>
    /// Stores a single-use code. A login code stored here names no session, as before schema 1, and opens one when redeemed;
    /// <c>wx.login</c> stores its code with its session through <see cref="AddLoginAsync"/>.
    /// </summary>
    /// <param name="table">Which kind of code.</param>
    /// <param name="code">The code.</param>
    /// <param name="appId">The mini program it is for.</param>
    /// <param name="userId">The user it is for.</param>
    /// <param name="expiresAt">When it expires (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>A task.</returns>
    public Task AddCodeAsync(CodeKind table, string code, string appId, string userId, long expiresAt, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, () =>
        this.ExecuteAsync($"INSERT INTO {TableOf(table)} (code, app_id, user_id, expires_at) VALUES ($c, $a, $u, $e)", ("$c", code), ("$a", appId), ("$u", userId), ("$e", expiresAt)));

    /// <summary>
    /// Records a <c>wx.login</c>: the login state it creates (a session, live at once, replacing every other session of
    /// (appId, user): one valid session key per user and mini program) and the single-use code that names it, in one
    /// transaction.
    /// </summary>
    /// <param name="code">The login code.</param>
    /// <param name="codeExpiresAt">When the code expires (Unix ms).</param>
    /// <param name="sessionKey">The session key of this login.</param>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The user.</param>
    /// <param name="openId">The user's openid for this mini program.</param>
    /// <param name="sessionExpiresAt">When the session expires (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>A task.</returns>
    public Task AddLoginAsync(string code, long codeExpiresAt, string sessionKey, string appId, string userId, string openId, long sessionExpiresAt, CancellationToken cancellationToken = default) => this.InTransactionAsync(cancellationToken, async () =>
    {
        await this.ReplaceSessionAsync(sessionKey, appId, userId, openId, sessionExpiresAt).ConfigureAwait(false);
        await this.ExecuteAsync(
            "INSERT INTO login_codes (code, app_id, user_id, expires_at, session_key) VALUES ($c, $a, $u, $e, $k)",
            ("$c", code), ("$a", appId), ("$u", userId), ("$e", codeExpiresAt), ("$k", sessionKey)).ConfigureAwait(false);
        return 0;
    });

    /// <summary>Redeems a code once: it must exist, be for <paramref name="appId"/>, unused and unexpired; it is used up atomically.</summary>
    /// <param name="table">Which kind of code.</param>
    /// <param name="code">The code.</param>
    /// <param name="appId">The mini program presenting it.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>The user it was issued for, or null.</returns>
    public Task<string?> RedeemCodeAsync(CodeKind table, string code, string appId, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, async () =>
        (string?)await this.ScalarAsync($"UPDATE {TableOf(table)} SET used = 1 WHERE code = $c AND app_id = $a AND used = 0 AND expires_at > $n RETURNING user_id", ("$c", code), ("$a", appId), ("$n", now)).ConfigureAwait(false));

    /// <summary>
    /// Redeems a login code once (as <see cref="RedeemCodeAsync"/>) and gives the session its <c>wx.login</c> opened, when
    /// that session still lives (not replaced by a later login, expired or revoked).
    /// </summary>
    /// <param name="code">The code.</param>
    /// <param name="appId">The mini program whose backend presents it.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>
    /// Null when the code is not redeemable; otherwise the user, the session key of its login (null for a code written before
    /// logins opened sessions), and the openid of that session (null when the session no longer lives).
    /// </returns>
    public Task<(string UserId, string? SessionKey, string? OpenId)?> RedeemLoginCodeAsync(string code, string appId, long now, CancellationToken cancellationToken = default) => this.InTransactionAsync(cancellationToken, async () =>
    {
        string? userId = null, sessionKey = null;
        await using (SqliteCommand command = this.Command("UPDATE login_codes SET used = 1 WHERE code = $c AND app_id = $a AND used = 0 AND expires_at > $n RETURNING user_id, session_key", [("$c", code), ("$a", appId), ("$n", now)]))
        await using (SqliteDataReader reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            if (!await reader.ReadAsync().ConfigureAwait(false))
            {
                return ((string UserId, string? SessionKey, string? OpenId)?)null;
            }

            userId = reader.GetString(0);
            sessionKey = await reader.IsDBNullAsync(1).ConfigureAwait(false) ? null : reader.GetString(1);
        }

        string? openId = sessionKey is null ? null : (string?)await this.ScalarAsync(
            "SELECT openid FROM sessions WHERE session_key = $k AND app_id = $a AND user_id = $u AND revoked = 0 AND expires_at > $n",
            ("$k", sessionKey), ("$a", appId), ("$u", userId), ("$n", now)).ConfigureAwait(false);
        return ((string UserId, string? SessionKey, string? OpenId)?)(userId, sessionKey, openId);
    });

    /// <summary>Stores a login session, replacing every other session of (appId, user).</summary>
    /// <param name="sessionKey">The session key.</param>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The user.</param>
    /// <param name="openId">The user's openid for this mini program.</param>
    /// <param name="expiresAt">When it expires (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>A task.</returns>
    public Task AddSessionAsync(string sessionKey, string appId, string userId, string openId, long expiresAt, CancellationToken cancellationToken = default) => this.InTransactionAsync(cancellationToken, async () =>
    {
        await this.ReplaceSessionAsync(sessionKey, appId, userId, openId, expiresAt).ConfigureAwait(false);
        return 0;
    });

    /// <summary>Tells whether (appId, user) has a session that is neither expired nor revoked.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The user.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>Whether one exists.</returns>
    public Task<bool> HasLiveSessionAsync(string appId, string userId, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, async () =>
        await this.ScalarAsync("SELECT 1 FROM sessions WHERE app_id = $a AND user_id = $u AND revoked = 0 AND expires_at > $n LIMIT 1", ("$a", appId), ("$u", userId), ("$n", now)).ConfigureAwait(false) is not null);

    /// <summary>Tells whether <paramref name="sessionKey"/> is the live session key of (appId, openid).</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="openId">The user's openid for it.</param>
    /// <param name="sessionKey">The session key.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>Whether it lives.</returns>
    public Task<bool> IsSessionKeyLiveAsync(string appId, string openId, string sessionKey, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, async () =>
        await this.ScalarAsync("SELECT 1 FROM sessions WHERE session_key = $k AND app_id = $a AND openid = $o AND revoked = 0 AND expires_at > $n", ("$k", sessionKey), ("$a", appId), ("$o", openId), ("$n", now)).ConfigureAwait(false) is not null);

    /// <summary>Revokes every session, and every unused code, of every user (logout).</summary>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>How many sessions were revoked.</returns>
    public Task<int> RevokeAllAsync(CancellationToken cancellationToken = default) => this.InTransactionAsync(cancellationToken, async () =>
    {
        await this.ExecuteAsync("UPDATE login_codes SET used = 1 WHERE used = 0").ConfigureAwait(false);
        await this.ExecuteAsync("UPDATE auth_codes SET used = 1 WHERE used = 0").ConfigureAwait(false);
        return await this.ExecuteAsync("UPDATE sessions SET revoked = 1 WHERE revoked = 0").ConfigureAwait(false);
    });

    /// <summary>Writes a new pending order, unless one with its key (app, user, order id) exists.</summary>
    /// <param name="order">The order.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>The stored order: the new one, or the one that was there.</returns>
    public Task<OrderRecord> AddOrderOrGetAsync(OrderRecord order, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, async () =>
    {
        await this.ExecuteAsync(
            "INSERT OR IGNORE INTO orders (app_id, user_id, order_id, kind, params_hash, params, state, created_at, updated_at) VALUES ($a, $u, $o, $k, $h, $p, 'Pending', $n, $n)",
            ("$o", order.OrderId), ("$a", order.AppId), ("$u", order.UserId), ("$k", order.Kind.ToString()), ("$h", order.ParamsHash), ("$p", order.Params), ("$n", now)).ConfigureAwait(false);
        return (await this.ReadOrderAsync(order.Key).ConfigureAwait(false))!;
    });

    /// <summary>Gets an order.</summary>
    /// <param name="key">The mini program, the user and the order id.</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>The order, or null.</returns>
    public Task<OrderRecord?> GetOrderAsync(OrderKey key, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, () => this.ReadOrderAsync(key));

    /// <summary>
    /// Claims an order for charging, in one statement whose row count decides: a <see cref="OrderState.Pending"/> order, or
    /// one left <see cref="OrderState.Charging"/> by an earlier instance (a host that ended before the provider answered),
    /// becomes <see cref="OrderState.Charging"/> under this instance. Whatever the interleaving, one caller gets it.
    /// </summary>
    /// <param name="key">The order.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>The claimed order, or null when it is settled, claimed by this instance already, or unknown.</returns>
    public Task<OrderRecord?> TryClaimOrderAsync(OrderKey key, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, () => this.ReadOrderAsync(
        $"UPDATE orders SET state = 'Charging', claimed_by = $me, updated_at = $n WHERE {OrderKeyMatches} AND (state = 'Pending' OR (state = 'Charging' AND claimed_by IS NOT $me)) RETURNING {OrderColumns}",
        [("$a", key.AppId), ("$u", key.UserId), ("$o", key.OrderId), ("$me", this.owner), ("$n", now)]));

    /// <summary>Lets go of this instance's claim on an order whose charge has no outcome (the provider threw), so a later request may ask again.</summary>
    /// <param name="key">The order.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>A task.</returns>
    public Task ReleaseOrderAsync(OrderKey key, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, () => this.ExecuteAsync(
        $"UPDATE orders SET state = 'Pending', claimed_by = NULL, updated_at = $n WHERE {OrderKeyMatches} AND state = 'Charging' AND claimed_by = $me",
        ("$a", key.AppId), ("$u", key.UserId), ("$o", key.OrderId), ("$me", this.owner), ("$n", now)));

    /// <summary>Records the provider's answer on an order this instance claimed (any other order is left as it is).</summary>
    /// <param name="key">The order.</param>
    /// <param name="state">Paid or failed.</param>
    /// <param name="providerRef">The provider's reference.</param>
    /// <param name="error">The provider's reason for a failure.</param>
    /// <param name="now">The time (Unix ms).</param>
    /// <param name="cancellationToken">Cancels the wait for the store (operations run one at a time); an operation under way runs to its end.</param>
    /// <returns>The order as stored afterwards.</returns>
    public Task<OrderRecord> SettleOrderAsync(OrderKey key, OrderState state, string? providerRef, string? error, long now, CancellationToken cancellationToken = default) => this.WithGateAsync(cancellationToken, async () =>
    {
        await this.ExecuteAsync(
            $"UPDATE orders SET state = $s, provider_ref = $r, error = $e, updated_at = $n WHERE {OrderKeyMatches} AND state = 'Charging' AND claimed_by = $me",
            ("$s", state.ToString()), ("$r", providerRef), ("$e", error), ("$n", now), ("$a", key.AppId), ("$u", key.UserId), ("$o", key.OrderId), ("$me", this.owner)).ConfigureAwait(false);
        return (await this.ReadOrderAsync(key).ConfigureAwait(false))!;
    });

    /// <summary>Closes the database file (and with it the exclusive lock); later operations throw <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>A task that completes when the file is closed.</returns>
    /// <remarks>Disposal happens once; a second call does nothing.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref this.disposed, 1) != 0)
        {
            return;
        }

        await this.connection.DisposeAsync().ConfigureAwait(false);
        this.gate.Dispose();
    }

    private static async Task<OpenApiStore> OpenCoreAsync(string connectionString, string? path, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var store = new OpenApiStore(connection) { Path = path };

            // Exclusive before WAL: the lock is taken by the first write below and held until the store is disposed, and
            // SQLite then keeps the WAL index in heap memory (no -shm file).
            await store.ExecuteAsync("PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;").ConfigureAwait(false);
            await store.InTransactionAsync(cancellationToken, store.MigrateAsync).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates the directory (0700) and the database file (0600) before SQLite opens it, and narrows what exists.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void PrepareOwnerOnlyFiles(string path, string? directory)
    {
        if (directory is not null && !Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }

        // Created empty with its mode (an empty file is a new database to SQLite): never a moment with the umask's mode. An
        // existing file is never opened here: closing a descriptor of it would drop the POSIX locks SQLite holds on it in
        // this process.
        if (!File.Exists(path))
        {
            try
            {
                using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFile }))
                {
                }
            }
            catch (IOException) when (File.Exists(path))
            {
                // Created meanwhile by someone else; its mode is narrowed below.
            }
        }

        foreach (string file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(file) && (File.GetUnixFileMode(file) & ~OwnerOnlyFile) != 0)
            {
                File.SetUnixFileMode(file, File.GetUnixFileMode(file) & OwnerOnlyFile);
            }
        }
    }

    private static string TableOf(CodeKind kind) => kind == CodeKind.Login ? "login_codes" : "auth_codes";

    private async Task<T> WithGateAsync<T>(CancellationToken cancellationToken, Func<Task<T>> operation)
    {
        await this.gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await operation().ConfigureAwait(false);
        }
        finally
        {
            this.gate.Release();
        }
    }

    private Task WithGateAsync(CancellationToken cancellationToken, Func<Task> operation) => this.WithGateAsync(cancellationToken, async () =>
    {
        await operation().ConfigureAwait(false);
        return 0;
    });

    /// <summary>Brings the schema to <see cref="SchemaVersion"/>; runs in the opening transaction.</summary>
    private async Task<int> MigrateAsync()
    {
        long version = (long)(await this.ScalarAsync("PRAGMA user_version").ConfigureAwait(false))!;
        if (version > SchemaVersion)
        {
            throw new NotSupportedException($"The open-API store was written by a newer version (schema {version}; this one knows {SchemaVersion}).");
        }

        if (version == 0 && await this.ScalarAsync("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'orders'").ConfigureAwait(false) is not null)
        {
            await this.ExecuteAsync(MigrateFrom0).ConfigureAwait(false);
        }

        await this.ExecuteAsync(Schema).ConfigureAwait(false);
        await this.ExecuteAsync($"PRAGMA user_version = {SchemaVersion}").ConfigureAwait(false);
        return 0;
    }

    /// <summary>Runs <paramref name="operation"/> under the gate in one transaction: all of it is stored, or none.</summary>
    private Task<T> InTransactionAsync<T>(CancellationToken cancellationToken, Func<Task<T>> operation) => this.WithGateAsync(cancellationToken, async () =>
    {
        await using var transaction = (SqliteTransaction)await this.connection.BeginTransactionAsync().ConfigureAwait(false);
        this.transaction = transaction;
        try
        {
            T result = await operation().ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
            return result;
        }
        finally
        {
            // Disposing an uncommitted transaction rolls it back.
            this.transaction = null;
        }
    });

    /// <summary>Revokes the other sessions of (appId, user) and inserts this one; the caller holds a transaction.</summary>
    private async Task ReplaceSessionAsync(string sessionKey, string appId, string userId, string openId, long expiresAt)
    {
        await this.ExecuteAsync("UPDATE sessions SET revoked = 1 WHERE app_id = $a AND user_id = $u AND revoked = 0", ("$a", appId), ("$u", userId)).ConfigureAwait(false);
        await this.ExecuteAsync("INSERT INTO sessions (session_key, app_id, user_id, openid, expires_at) VALUES ($k, $a, $u, $o, $e)", ("$k", sessionKey), ("$a", appId), ("$u", userId), ("$o", openId), ("$e", expiresAt)).ConfigureAwait(false);
    }

    private Task<OrderRecord?> ReadOrderAsync(OrderKey key) => this.ReadOrderAsync(
        $"SELECT {OrderColumns} FROM orders WHERE {OrderKeyMatches}",
        [("$a", key.AppId), ("$u", key.UserId), ("$o", key.OrderId)]);

    private async Task<OrderRecord?> ReadOrderAsync(string sql, (string Name, object? Value)[] parameters)
    {
        await using SqliteCommand command = this.Command(sql, parameters);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        if (!await reader.ReadAsync().ConfigureAwait(false))
        {
            return null;
        }

        return new OrderRecord(
            reader.GetString(2),
            reader.GetString(0),
            reader.GetString(1),
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
        command.Transaction = this.transaction;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
