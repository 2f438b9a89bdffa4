using IpcBroker.OpenApi;
using IpcBroker.Plugins;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// The main-process side of the open APIs that have default implementations: login, checkSession, getPhoneNumber,
/// getEmail, chooseAvatar, getNickName, and the V3 auth code. Every answer is about the user signed in to the host now
/// and the mini program the broker bound the connection to — never a user or appId named in the payload.
/// </summary>
/// <param name="service">Accounts and sessions.</param>
[IpcMainPlugin]
public sealed class OpenDataPlugin(OpenApiService service)
{
    /// <summary>Issues a login code for the calling mini program and the signed-in user.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.Login, Description = "wx.login: a short-lived, single-use code for (appId, user)")]
    public Task LoginAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string user = await this.AuthorizeAsync(request).ConfigureAwait(false);
        string code = await service.IssueLoginCodeAsync(request.Caller.AppId, user).ConfigureAwait(false);
        return new Bundle().PutString("code", code).PutLong("expiresInMs", (long)service.Options.LoginCodeLifetime.TotalMilliseconds);
    });

    /// <summary>Tells whether the calling mini program's session for the signed-in user lives.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.CheckSession, Description = "wx.checkSession: whether the login session lives")]
    public Task CheckSessionAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string user = await this.AuthorizeAsync(request).ConfigureAwait(false);
        return new Bundle().PutBoolean("valid", await service.CheckSessionAsync(request.Caller.AppId, user).ConfigureAwait(false));
    });

    /// <summary>Gives the signed-in user's phone number.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.GetPhoneNumber, Description = "wx.getPhoneNumber")]
    public Task GetPhoneNumberAsync(IpcRequest request) => this.ProfileFieldAsync(request, "phoneNumber", p => p.PhoneNumber);

    /// <summary>Gives the signed-in user's e-mail address.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.GetEmail, Description = "wx.getEmail")]
    public Task GetEmailAsync(IpcRequest request) => this.ProfileFieldAsync(request, "email", p => p.Email);

    /// <summary>Gives the signed-in user's nickname.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.GetNickName, Description = "wx.getNickName")]
    public Task GetNickNameAsync(IpcRequest request) => this.ProfileFieldAsync(request, "nickName", p => p.NickName);

    /// <summary>Gives the signed-in user's avatar image (possibly large; it travels on a channel of its own).</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.ChooseAvatar, Description = "wx.chooseAvatar: the avatar image bytes")]
    public Task ChooseAvatarAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        UserProfile profile = await this.ProfileAsync(request).ConfigureAwait(false);
        byte[] avatar = profile.Avatar ?? throw new OpenApiFailure(OpenApiErrno.NoData, "The host has no avatar for this user.");
        return new Bundle().PutByteArray("avatar", avatar).PutString("mimeType", profile.AvatarMimeType);
    });

    /// <summary>Issues a V3 ("mutual trust") auth code for the calling mini program and the signed-in user.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.GetAuthCode, Description = "API level V3: a single-use host auth code")]
    public Task GetAuthCodeAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string user = SignedInUser(service);
        return new Bundle().PutString(OpenApiEvents.AuthCodeKey, await service.IssueAuthCodeAsync(request.Caller.AppId, user).ConfigureAwait(false));
    });

    /// <summary>Gets the signed-in user, or fails with <see cref="OpenApiErrno.NotLoggedIn"/>.</summary>
    /// <param name="service">The service.</param>
    /// <returns>The user id.</returns>
    internal static string SignedInUser(OpenApiService service) =>
        service.Account.GetAccount() ?? throw new OpenApiFailure(OpenApiErrno.NotLoggedIn, "No user is signed in to the host app.");

    /// <summary>The signed-in user, after checking a V3 auth code when the request carries one or the mini program requires one.</summary>
    private async Task<string> AuthorizeAsync(IpcRequest request)
    {
        string user = SignedInUser(service);
        string? authCode = request.Data.GetString(OpenApiEvents.AuthCodeKey);
        if (authCode is not null || service.Options.MutualTrustAppIds.Contains(request.Caller.AppId))
        {
            if (authCode is null || !await service.RedeemAuthCodeAsync(request.Caller.AppId, user, authCode).ConfigureAwait(false))
            {
                throw new OpenApiFailure(OpenApiErrno.AuthDenied, "The host's auth code is missing, expired, used, or not for this mini program.");
            }
        }

        return user;
    }

    private async Task<UserProfile> ProfileAsync(IpcRequest request)
    {
        string user = await this.AuthorizeAsync(request).ConfigureAwait(false);
        return service.Account.GetUserProfile(user) ?? throw new OpenApiFailure(OpenApiErrno.NoData, "The host has no profile for this user.");
    }

    private Task ProfileFieldAsync(IpcRequest request, string key, Func<UserProfile, string?> field) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string value = field(await this.ProfileAsync(request).ConfigureAwait(false)) ?? throw new OpenApiFailure(OpenApiErrno.NoData, $"The host has no {key} for this user.");
        return new Bundle().PutString(key, value);
    });
}
