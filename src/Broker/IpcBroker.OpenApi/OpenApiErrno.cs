namespace IpcBroker.OpenApi;

/// <summary>
/// The <c>errno</c> values a mini program can get in <c>{errno, errMsg}</c> from an open API. The numbers are part of
/// the contract with mini programs; never renumber them.
/// </summary>
public static class OpenApiErrno
{
    /// <summary>The key of the errno in a failure's bundle or JSON.</summary>
    public const string Key = "errno";

    /// <summary>The key of the message in a failure's JSON.</summary>
    public const string MessageKey = "errMsg";

    /// <summary>The host has not implemented this API (no default exists, or API level V1 without an override).</summary>
    public const int NotImplemented = 1001;

    /// <summary>No such API.</summary>
    public const int UnknownApi = 1002;

    /// <summary>The parameters are missing, of the wrong type, or not JSON.</summary>
    public const int BadParameters = 1003;

    /// <summary>No user is signed in to the host app.</summary>
    public const int NotLoggedIn = 1004;

    /// <summary>The main process could not be reached or did not answer (the IPC error code is in the message).</summary>
    public const int HostUnavailable = 1005;

    /// <summary>The implementation did not finish within the API's deadline.</summary>
    public const int Timeout = 1006;

    /// <summary>The payment provider declined or failed the payment.</summary>
    public const int PaymentFailed = 1007;

    /// <summary>An order with this id exists with other parameters.</summary>
    public const int OrderConflict = 1008;

    /// <summary>API level V3: the host's auth code is missing, expired, used, or not for this mini program.</summary>
    public const int AuthDenied = 1009;

    /// <summary>The host has no such data for the user (no phone number, no e-mail…).</summary>
    public const int NoData = 1010;

    /// <summary>The implementation threw; the detail stays in the mini process's log.</summary>
    public const int InternalError = 1011;

    /// <summary><c>wx.checkSession</c>: the login session has expired, was revoked at logout, or never existed.</summary>
    public const int SessionExpired = 1012;

    /// <summary>The caller cancelled the call (its token) before the implementation gave a result.</summary>
    public const int Canceled = 1013;
}
