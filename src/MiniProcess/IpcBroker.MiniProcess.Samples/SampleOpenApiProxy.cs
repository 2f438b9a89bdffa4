using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.Samples;

/// <summary>
/// A host's proxy as it should be written: the six APIs with defaults are left to them (level V2), the five without are
/// implemented here in the awaitable form.
/// </summary>
public class SampleOpenApiProxy : MiniOpenApiProxy
{
    /// <summary>
    /// <c>wx.getUserInfo</c> done right: the result is what the main process answered, so it cannot be returned before the
    /// main process has answered (the vendor's sample calls <c>onReceiveResult</c> before its IPC callback has filled in the data).
    /// </summary>
    /// <inheritdoc/>
    public override async Task<OpenApiResult> GetUserInfoAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken)
    {
        IpcResult user = await context.Main.CallMainProcessPluginAsync(WellKnownEvents.GetUserId, null, new IpcCallOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
        if (!user.IsSuccess)
        {
            return OpenApiResult.Error(OpenApiErrno.HostUnavailable, $"The main process did not give the user ({user.ErrorCode}): {user.ErrorMessage}");
        }

        return OpenApiResult.Ok(new JsonObject
        {
            ["userInfo"] = new JsonObject
            {
                ["nickName"] = user.Data.GetString("nickName"),
                ["avatarUrl"] = user.Data.GetString("avatarUrl"),
            },
            ["userId"] = user.Data.GetString("userId"),
        });
    }

    /// <inheritdoc/>
    public override Task<OpenApiResult> GetUserProfileAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken) =>
        this.GetUserInfoAsync(context, parameters, cancellationToken);

    /// <inheritdoc/>
    public override Task<OpenApiResult> RequestPaymentAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken) =>
        PaymentOpenApis.PayAsync(context, PaymentKind.Payment, parameters, cancellationToken);

    /// <inheritdoc/>
    public override Task<OpenApiResult> RequestVirtualPaymentAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken) =>
        PaymentOpenApis.PayAsync(context, PaymentKind.VirtualPayment, parameters, cancellationToken);

    /// <inheritdoc/>
    public override Task<OpenApiResult> RequestMidasPaymentGameItemAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken) =>
        PaymentOpenApis.PayAsync(context, PaymentKind.MidasGameItem, parameters, cancellationToken);
}
