using System.Text.Json;
using System.Text.Json.Nodes;
using IpcBroker.OpenApi;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>
/// The one entry point a mini program runtime calls: an API name and its parameters in, the result out. It picks the
/// default implementation or the proxy's method by API level, bounds the call by a deadline, and turns every failure —
/// unknown API, bad JSON, a throwing or silent implementation — into <c>{errno, errMsg}</c>.
/// </summary>
/// <param name="proxy">The host's proxy.</param>
/// <param name="logger">Where ignored results, timeouts and exceptions are logged.</param>
/// <param name="timeout">How long an API may take (30 s when null).</param>
public sealed class OpenApiDispatcher(MiniOpenApiProxy proxy, ILogger? logger = null, TimeSpan? timeout = null)
{
    private static readonly Dictionary<string, Entry> Apis = new(StringComparer.Ordinal)
    {
        ["login"] = new((p, c, j, r) => p.Login(c, j, r), DefaultOpenApis.LoginAsync),
        ["getUserInfo"] = new((p, c, j, r) => p.GetUserInfo(c, j, r), null),
        ["getUserProfile"] = new((p, c, j, r) => p.GetUserProfile(c, j, r), null),
        ["getPhoneNumber"] = new((p, c, j, r) => p.GetPhoneNumber(c, j, r), DefaultOpenApis.GetPhoneNumberAsync),
        ["requestPayment"] = new((p, c, j, r) => p.RequestPayment(c, j, r), null),
        ["requestMidasPaymentGameItem"] = new((p, c, j, r) => p.RequestMidasPaymentGameItem(c, j, r), null),
        ["checkSession"] = new((p, c, j, r) => p.CheckSession(c, j, r), DefaultOpenApis.CheckSessionAsync),
        ["getEmail"] = new((p, c, j, r) => p.GetEmail(c, j, r), DefaultOpenApis.GetEmailAsync),
        ["chooseAvatar"] = new((p, c, j, r) => p.ChooseAvatar(c, j, r), DefaultOpenApis.ChooseAvatarAsync),
        ["getNickName"] = new((p, c, j, r) => p.GetNickName(c, j, r), DefaultOpenApis.GetNickNameAsync),
        ["requestVirtualPayment"] = new((p, c, j, r) => p.RequestVirtualPayment(c, j, r), null),
    };

    private readonly ILogger logger = logger ?? NullLogger.Instance;
    private readonly TimeSpan timeout = timeout ?? TimeSpan.FromSeconds(30);

    private delegate void CallbackForm(MiniOpenApiProxy proxy, MiniAppContext context, JsonObject parameters, AsyncResult result);

    /// <summary>Gets the names of the APIs, without <c>wx.</c>.</summary>
    public static IReadOnlyCollection<string> ApiNames => Apis.Keys;

    /// <summary>Calls an API with JSON text in and out.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="api">The API's name, with or without <c>wx.</c>.</param>
    /// <param name="parametersJson">A JSON object, or null for none.</param>
    /// <param name="cancellationToken">Cancels the call: the implementation's token fires and the result is an error with <see cref="OpenApiErrno.Canceled"/>.</param>
    /// <returns><c>{"success": bool, "data": {...}}</c>.</returns>
    public async Task<string> InvokeJsonAsync(MiniAppContext context, string api, string? parametersJson, CancellationToken cancellationToken = default)
    {
        JsonObject parameters;
        try
        {
            parameters = string.IsNullOrWhiteSpace(parametersJson) ? [] : JsonNode.Parse(parametersJson) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException ex)
        {
            return OpenApiResult.Error(OpenApiErrno.BadParameters, $"The parameters of {api} are not a JSON object: {ex.Message}").ToJson();
        }

        return (await this.InvokeAsync(context, api, parameters, cancellationToken).ConfigureAwait(false)).ToJson();
    }

    /// <summary>Calls an API.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="api">The API's name, with or without <c>wx.</c>.</param>
    /// <param name="parameters">Its parameters.</param>
    /// <param name="cancellationToken">
    /// Cancels the call: the implementation's token (<see cref="AsyncResult.CancellationToken"/>) fires and the result is
    /// at once an error with <see cref="OpenApiErrno.Canceled"/>; a token cancelled before the call runs no implementation.
    /// </param>
    /// <returns>The result; never faults.</returns>
    public async Task<OpenApiResult> InvokeAsync(MiniAppContext context, string api, JsonObject parameters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        string name = api.StartsWith("wx.", StringComparison.Ordinal) ? api[3..] : api;
        if (!Apis.TryGetValue(name, out Entry? entry))
        {
            return OpenApiResult.Error(OpenApiErrno.UnknownApi, $"Unknown API '{api}'. Known: {string.Join(", ", Apis.Keys.Select(k => "wx." + k))}.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Canceled(name);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(this.timeout);
        var result = new AsyncResult(name, this.logger, deadline.Token);
        try
        {
            ApiLevel level = proxy.DefaultApiLevel(context);
            if (entry.Default is not null && level != ApiLevel.V1)
            {
                _ = result.CompleteFromAsync(entry.Default(proxy, context, parameters, level, deadline.Token));
            }
            else
            {
                entry.Invoke(proxy, context, parameters, result);
            }
        }
        catch (Exception ex)
        {
            OpenApiLog.ImplementationThrew(this.logger, ex, name);
            return OpenApiResult.Error(OpenApiErrno.InternalError, $"wx.{name} failed inside the mini process.");
        }

        try
        {
            return await result.Completion.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Canceled(name);
        }
        catch (OperationCanceledException)
        {
            OpenApiLog.NoResult(this.logger, name, (long)this.timeout.TotalMilliseconds);
            return OpenApiResult.Error(OpenApiErrno.Timeout, $"wx.{name} gave no result within {this.timeout.TotalMilliseconds:0} ms.");
        }
    }

    private static OpenApiResult Canceled(string name) => OpenApiResult.Error(OpenApiErrno.Canceled, $"wx.{name} was canceled.");

    private sealed record Entry(CallbackForm Invoke, Func<MiniOpenApiProxy, MiniAppContext, JsonObject, ApiLevel, CancellationToken, Task<OpenApiResult>>? Default);
}
