using System.Text.Json.Nodes;
using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>
/// The default implementations (the SDK's since 2.1.0): each asks the main process, which answers for the user signed in
/// to the host and the mini program the broker bound the connection to. At level V3 each first gets the host's auth code.
/// </summary>
internal static class DefaultOpenApis
{
    public static async Task<OpenApiResult> LoginAsync(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, ApiLevel level, CancellationToken cancellationToken)
    {
        (Bundle? data, OpenApiResult? failure) = await CallAsync(proxy, context, OpenApiEvents.Login, level, cancellationToken).ConfigureAwait(false);
        return failure ?? OpenApiResult.Ok(new JsonObject { ["code"] = data!.GetString("code") });
    }

    public static async Task<OpenApiResult> CheckSessionAsync(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, ApiLevel level, CancellationToken cancellationToken)
    {
        (Bundle? data, OpenApiResult? failure) = await CallAsync(proxy, context, OpenApiEvents.CheckSession, level, cancellationToken).ConfigureAwait(false);
        return failure ?? (data!.GetBoolean("valid")
            ? OpenApiResult.Ok()
            : OpenApiResult.Error(OpenApiErrno.SessionExpired, "The login session has expired; call wx.login again."));
    }

    public static Task<OpenApiResult> GetPhoneNumberAsync(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, ApiLevel level, CancellationToken cancellationToken) =>
        FieldAsync(proxy, context, OpenApiEvents.GetPhoneNumber, "phoneNumber", level, cancellationToken);

    public static Task<OpenApiResult> GetEmailAsync(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, ApiLevel level, CancellationToken cancellationToken) =>
        FieldAsync(proxy, context, OpenApiEvents.GetEmail, "email", level, cancellationToken);

    public static Task<OpenApiResult> GetNickNameAsync(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, ApiLevel level, CancellationToken cancellationToken) =>
        FieldAsync(proxy, context, OpenApiEvents.GetNickName, "nickName", level, cancellationToken);

    /// <summary>Gets the avatar and writes it to a file in the sandbox (as the SDK hands mini programs a temporary file); without a sandbox, base64.</summary>
    public static async Task<OpenApiResult> ChooseAvatarAsync(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, ApiLevel level, CancellationToken cancellationToken)
    {
        (Bundle? data, OpenApiResult? failure) = await CallAsync(proxy, context, OpenApiEvents.ChooseAvatar, level, cancellationToken).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        byte[] avatar = data!.GetByteArray("avatar") ?? [];
        var result = new JsonObject { ["size"] = avatar.Length, ["mimeType"] = data.GetString("mimeType") };
        if (context.SandboxDirectory is { } sandbox)
        {
            string directory = Path.Combine(sandbox, "tmp");
            Directory.CreateDirectory(directory);
            string path = Path.Combine(directory, $"avatar-{Guid.NewGuid():N}");
            await File.WriteAllBytesAsync(path, avatar, cancellationToken).ConfigureAwait(false);
            result["tempFilePath"] = path;
        }
        else
        {
            result["avatarBase64"] = Convert.ToBase64String(avatar);
        }

        return OpenApiResult.Ok(result);
    }

    private static async Task<OpenApiResult> FieldAsync(MiniOpenApiProxy proxy, MiniAppContext context, string eventId, string key, ApiLevel level, CancellationToken cancellationToken)
    {
        (Bundle? data, OpenApiResult? failure) = await CallAsync(proxy, context, eventId, level, cancellationToken).ConfigureAwait(false);
        return failure ?? OpenApiResult.Ok(new JsonObject { [key] = data!.GetString(key) });
    }

    private static async Task<(Bundle? Data, OpenApiResult? Failure)> CallAsync(MiniOpenApiProxy proxy, MiniAppContext context, string eventId, ApiLevel level, CancellationToken cancellationToken)
    {
        var request = new Bundle();
        if (level == ApiLevel.V3)
        {
            string? authCode = await proxy.GetHostAuthCodeAsync(context, cancellationToken).ConfigureAwait(false);
            if (authCode is null)
            {
                return (null, OpenApiResult.Error(OpenApiErrno.AuthDenied, "API level V3: the host gave no auth code."));
            }

            request.PutString(OpenApiEvents.AuthCodeKey, authCode);
        }

        return await OpenApiCalls.CallAsync(context, eventId, request, cancellationToken).ConfigureAwait(false);
    }
}
