namespace IpcBroker.OpenApi;

/// <summary>The main-process events behind the open APIs' default implementations and payments.</summary>
/// <remarks>Every request may carry <see cref="AuthCodeKey"/> (API level V3). Every answer's failure detail carries <see cref="OpenApiErrno.Key"/>.</remarks>
public static class OpenApiEvents
{
    /// <summary>Issues a login code for (appId, signed-in user). Answer: <c>code</c>, <c>expiresInMs</c>.</summary>
    public const string Login = "OPEN_API_LOGIN";

    /// <summary>Whether the mini program's login session for the signed-in user is still valid. Answer: <c>valid</c>.</summary>
    public const string CheckSession = "OPEN_API_CHECK_SESSION";

    /// <summary>The signed-in user's phone number. Answer: <c>phoneNumber</c>.</summary>
    public const string GetPhoneNumber = "OPEN_API_GET_PHONE_NUMBER";

    /// <summary>The signed-in user's e-mail address. Answer: <c>email</c>.</summary>
    public const string GetEmail = "OPEN_API_GET_EMAIL";

    /// <summary>The signed-in user's avatar image. Answer: <c>avatar</c> (bytes), <c>mimeType</c>. May be large: it travels on its own channel.</summary>
    public const string ChooseAvatar = "OPEN_API_CHOOSE_AVATAR";

    /// <summary>The signed-in user's nickname. Answer: <c>nickName</c>.</summary>
    public const string GetNickName = "OPEN_API_GET_NICK_NAME";

    /// <summary>Issues a host auth code for API level V3 ("mutual trust"). Answer: <c>authCode</c>.</summary>
    public const string GetAuthCode = "OPEN_API_GET_AUTH_CODE";

    /// <summary>Pays an order: <c>orderId</c>, <c>kind</c> (a <see cref="PaymentKind"/> name), <c>params</c> (JSON text). Answer: <c>orderId</c>, <c>state</c>, <c>providerRef</c>.</summary>
    public const string Pay = "OPEN_API_PAY";

    /// <summary>The outcome of an order so far: <c>orderId</c>. Answer: <c>orderId</c>, <c>state</c> (<c>none</c> when unknown), <c>providerRef</c>.</summary>
    public const string PayQuery = "OPEN_API_PAY_QUERY";

    /// <summary>The request key that carries a V3 auth code.</summary>
    public const string AuthCodeKey = "authCode";
}
