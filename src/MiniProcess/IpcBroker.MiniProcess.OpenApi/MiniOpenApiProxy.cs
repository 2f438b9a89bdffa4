using System.Text.Json.Nodes;
using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>
/// The open APIs of a mini program (the SDK's <c>MiniOpenApiProxy</c>): one method per <c>wx.*</c> API, in the SDK's
/// callback form <c>(context, parameters, AsyncResult)</c> and beside it an awaitable form returning the result.
/// </summary>
/// <remarks>
/// <para>Override the awaitable form where you can: its result is the answer, so the vendor sample's mistake — answering
/// before the main process has answered — cannot be written. The callback form is there for code ported from the SDK.</para>
/// <para>Which runs is decided by <see cref="OpenApiDispatcher"/> with <see cref="DefaultApiLevel"/>: for the six APIs that
/// have a default implementation (login, checkSession, getPhoneNumber, getEmail, chooseAvatar, getNickName), V2, V3 and
/// Undefined run the default and V1 runs this class's method; the other five always run this class's method.</para>
/// </remarks>
public abstract class MiniOpenApiProxy
{
    /// <summary>Gets the API level of a mini program (the SDK's <c>defaultApiLevel(ctx)</c>).</summary>
    /// <param name="context">The mini program.</param>
    /// <returns>The level; <see cref="ApiLevel.Undefined"/> by default, which behaves as <see cref="ApiLevel.V2"/>.</returns>
    public virtual ApiLevel DefaultApiLevel(MiniAppContext context) => ApiLevel.Undefined;

    /// <summary>
    /// Gets the host's auth code for API level V3, which the default implementations send with their request and the main
    /// process checks. By default it asks the main process (<see cref="OpenApiEvents.GetAuthCode"/>).
    /// </summary>
    /// <param name="context">The mini program.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The code, or null when there is none.</returns>
    public virtual async Task<string?> GetHostAuthCodeAsync(MiniAppContext context, CancellationToken cancellationToken = default)
    {
        IpcResult result = await context.Main.CallMainProcessPluginAsync(OpenApiEvents.GetAuthCode, null, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? result.Data.GetString(OpenApiEvents.AuthCodeKey) : null;
    }

    /// <summary><c>wx.login</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has a default implementation, used at API levels V2 and V3 (V1 calls this method).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="LoginAsync"/>; override one form or the other.</remarks>
    public virtual void Login(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.LoginAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.login</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> LoginAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("login"));

    /// <summary><c>wx.getUserInfo</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has no default implementation: until the host overrides one of the two forms, the mini program gets errno NotImplemented.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="GetUserInfoAsync"/>; override one form or the other.</remarks>
    public virtual void GetUserInfo(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.GetUserInfoAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.getUserInfo</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> GetUserInfoAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("getUserInfo"));

    /// <summary><c>wx.getUserProfile</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has no default implementation: until the host overrides one of the two forms, the mini program gets errno NotImplemented.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="GetUserProfileAsync"/>; override one form or the other.</remarks>
    public virtual void GetUserProfile(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.GetUserProfileAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.getUserProfile</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> GetUserProfileAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("getUserProfile"));

    /// <summary><c>wx.getPhoneNumber</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has a default implementation, used at API levels V2 and V3 (V1 calls this method).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="GetPhoneNumberAsync"/>; override one form or the other.</remarks>
    public virtual void GetPhoneNumber(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.GetPhoneNumberAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.getPhoneNumber</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> GetPhoneNumberAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("getPhoneNumber"));

    /// <summary><c>wx.requestPayment</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has no default implementation: until the host overrides one of the two forms, the mini program gets errno NotImplemented.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="RequestPaymentAsync"/>; override one form or the other.</remarks>
    public virtual void RequestPayment(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.RequestPaymentAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.requestPayment</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> RequestPaymentAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("requestPayment"));

    /// <summary><c>wx.requestMidasPaymentGameItem</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has no default implementation: until the host overrides one of the two forms, the mini program gets errno NotImplemented.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="RequestMidasPaymentGameItemAsync"/>; override one form or the other.</remarks>
    public virtual void RequestMidasPaymentGameItem(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.RequestMidasPaymentGameItemAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.requestMidasPaymentGameItem</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> RequestMidasPaymentGameItemAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("requestMidasPaymentGameItem"));

    /// <summary><c>wx.checkSession</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has a default implementation, used at API levels V2 and V3 (V1 calls this method).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="CheckSessionAsync"/>; override one form or the other.</remarks>
    public virtual void CheckSession(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.CheckSessionAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.checkSession</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> CheckSessionAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("checkSession"));

    /// <summary><c>wx.getEmail</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has a default implementation, used at API levels V2 and V3 (V1 calls this method).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="GetEmailAsync"/>; override one form or the other.</remarks>
    public virtual void GetEmail(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.GetEmailAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.getEmail</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> GetEmailAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("getEmail"));

    /// <summary><c>wx.chooseAvatar</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has a default implementation, used at API levels V2 and V3 (V1 calls this method).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="ChooseAvatarAsync"/>; override one form or the other.</remarks>
    public virtual void ChooseAvatar(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.ChooseAvatarAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.chooseAvatar</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> ChooseAvatarAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("chooseAvatar"));

    /// <summary><c>wx.getNickName</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has a default implementation, used at API levels V2 and V3 (V1 calls this method).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="GetNickNameAsync"/>; override one form or the other.</remarks>
    public virtual void GetNickName(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.GetNickNameAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.getNickName</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> GetNickNameAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("getNickName"));

    /// <summary><c>wx.requestVirtualPayment</c> in the SDK's callback form; finish with <see cref="AsyncResult.OnReceiveResult"/>. It has no default implementation: until the host overrides one of the two forms, the mini program gets errno NotImplemented.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="result">Finish it exactly once.</param>
    /// <remarks>By default it runs <see cref="RequestVirtualPaymentAsync"/>; override one form or the other.</remarks>
    public virtual void RequestVirtualPayment(MiniAppContext context, JsonObject parameters, AsyncResult result) =>
        _ = result.CompleteFromAsync(this.RequestVirtualPaymentAsync(context, parameters, result.CancellationToken));

    /// <summary><c>wx.requestVirtualPayment</c> in the awaitable form: the returned result is the answer, so it cannot be given before the data is there.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="parameters">The mini program's parameters.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns>The result.</returns>
    public virtual Task<OpenApiResult> RequestVirtualPaymentAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) =>
        Task.FromResult(NotImplemented("requestVirtualPayment"));

    /// <summary>The answer of an API the host has not implemented.</summary>
    /// <param name="api">The API's name without <c>wx.</c>.</param>
    /// <returns>errno <see cref="OpenApiErrno.NotImplemented"/>.</returns>
    protected static OpenApiResult NotImplemented(string api) =>
        OpenApiResult.Error(OpenApiErrno.NotImplemented, $"wx.{api} is not implemented by the host app.");
}
