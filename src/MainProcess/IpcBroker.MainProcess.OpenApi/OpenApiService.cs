using System.Security.Cryptography;
using System.Text;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// Accounts and sessions of the open APIs in the main process: login codes bound to (appId, user), the code-to-session
/// exchange a mini program's backend calls, session checks, V3 auth codes, and revocation at logout.
/// </summary>
/// <remarks>
/// An openid is an HMAC of (appId, user id) under a key made on the store's first use and kept in it: unique per
/// (appId, user), stable across restarts, and telling another mini program nothing. Thread-safe.
/// </remarks>
/// <param name="store">Where codes and sessions live.</param>
/// <param name="account">Who is signed in.</param>
/// <param name="options">Lifetimes and the clock.</param>
public sealed class OpenApiService(OpenApiStore store, MiniAppProxy account, OpenApiOptions options)
{
    private byte[]? openIdKey;

    /// <summary>Gets the host's account proxy.</summary>
    public MiniAppProxy Account => account;

    /// <summary>Gets the settings.</summary>
    public OpenApiOptions Options => options;

    /// <summary>Gets the store.</summary>
    public OpenApiStore Store => store;

    /// <summary>
    /// Logs (appId, user) in, as <c>wx.login</c> does: creates the login state at once — a session with a new session key,
    /// live for <see cref="OpenApiOptions.SessionLifetime"/> and replacing the user's earlier session of this mini program —
    /// and returns a short-lived, single-use code that names it, for the mini program's backend to redeem.
    /// </summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The signed-in user.</param>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>The code.</returns>
    public async Task<string> IssueLoginCodeAsync(string appId, string userId, CancellationToken cancellationToken = default)
    {
        string code = NewToken();
        string openId = await this.OpenIdAsync(appId, userId, cancellationToken).ConfigureAwait(false);
        long now = this.Now();
        await store.AddLoginAsync(code, now + (long)options.LoginCodeLifetime.TotalMilliseconds, NewToken(), appId, userId, openId, now + (long)options.SessionLifetime.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
        return code;
    }

    /// <summary>
    /// Redeems a login code, once (what a mini program's backend calls, like WeChat's <c>code2Session</c>): returns the user's
    /// openid for this mini program and the session key of the login that issued the code.
    /// </summary>
    /// <param name="appId">The mini program whose backend presents the code.</param>
    /// <param name="code">The code <c>wx.login</c> gave the mini program.</param>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>
    /// The openid and session key, or null when the code is unknown, expired, used, or for another mini program, or when its
    /// login's session no longer lives (a later login replaced it, or it was revoked).
    /// </returns>
    public async Task<(string OpenId, string SessionKey)?> CodeToSessionAsync(string appId, string code, CancellationToken cancellationToken = default)
    {
        (string UserId, string? SessionKey, string? OpenId)? redeemed = await store.RedeemLoginCodeAsync(code, appId, this.Now(), cancellationToken).ConfigureAwait(false);
        if (redeemed is not { } login)
        {
            return null;
        }

        if (login.SessionKey is not null)
        {
            // The session of the login that issued the code, unless a later login replaced it or it was revoked or expired.
            return login.OpenId is null ? null : (login.OpenId, login.SessionKey);
        }

        // A code written before logins opened sessions (a store migrated from schema 0 with codes outstanding): it opens
        // its session now, as it did then.
        string openId = await this.OpenIdAsync(appId, login.UserId, cancellationToken).ConfigureAwait(false);
        string sessionKey = NewToken();
        await store.AddSessionAsync(sessionKey, appId, login.UserId, openId, this.Now() + (long)options.SessionLifetime.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
        return (openId, sessionKey);
    }

    /// <summary>Tells whether (appId, user) has a live session: from a <c>wx.login</c> until it expires, a later login replaces it, or logout.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>Whether it has.</returns>
    public Task<bool> CheckSessionAsync(string appId, string userId, CancellationToken cancellationToken = default) => store.HasLiveSessionAsync(appId, userId, this.Now(), cancellationToken);

    /// <summary>Tells whether a session key a backend holds is still the live one of (appId, openid) — what a backend checks before trusting it.</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="openId">The user's openid for it.</param>
    /// <param name="sessionKey">The session key <see cref="CodeToSessionAsync"/> gave.</param>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>Whether it lives.</returns>
    public Task<bool> CheckSessionKeyAsync(string appId, string openId, string sessionKey, CancellationToken cancellationToken = default) => store.IsSessionKeyLiveAsync(appId, openId, sessionKey, this.Now(), cancellationToken);

    /// <summary>Issues a V3 auth code for (appId, user).</summary>
    /// <param name="appId">The mini program.</param>
    /// <param name="userId">The signed-in user.</param>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>The code.</returns>
    public async Task<string> IssueAuthCodeAsync(string appId, string userId, CancellationToken cancellationToken = default)
    {
        string code = NewToken();
        await store.AddCodeAsync(CodeKind.Auth, code, appId, userId, this.Now() + (long)options.AuthCodeLifetime.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
        return code;
    }

    /// <summary>Redeems a V3 auth code, once.</summary>
    /// <param name="appId">The mini program presenting it.</param>
    /// <param name="userId">The user it must have been issued for.</param>
    /// <param name="code">The code.</param>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>Whether it was valid.</returns>
    public async Task<bool> RedeemAuthCodeAsync(string appId, string userId, string code, CancellationToken cancellationToken = default) =>
        await store.RedeemCodeAsync(CodeKind.Auth, code, appId, this.Now(), cancellationToken).ConfigureAwait(false) == userId;

    /// <summary>Revokes every session and unused code: call it when the user logs out, so <c>checkSession</c> is false after.</summary>
    /// <param name="cancellationToken">Cancels the wait for the store; a write under way runs to its end.</param>
    /// <returns>How many sessions were revoked.</returns>
    public Task<int> RevokeAllAsync(CancellationToken cancellationToken = default) => store.RevokeAllAsync(cancellationToken);

    /// <summary>Gets the current time in Unix milliseconds from the configured clock.</summary>
    /// <returns>The time.</returns>
    public long Now() => options.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private async Task<string> OpenIdAsync(string appId, string userId, CancellationToken cancellationToken)
    {
        this.openIdKey ??= Convert.FromHexString(await store.GetOrCreateMetaAsync("openid_key", () => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), cancellationToken).ConfigureAwait(false));
        byte[] mac = HMACSHA256.HashData(this.openIdKey, Encoding.UTF8.GetBytes(appId + "\n" + userId));
        return "o" + Convert.ToHexStringLower(mac, 0, 14);
    }
}
