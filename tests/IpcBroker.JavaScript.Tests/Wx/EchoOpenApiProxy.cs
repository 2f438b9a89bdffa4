using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.OpenApi;

namespace IpcBroker.JavaScript.Tests.Wx;

/// <summary>
/// A proxy whose every API (at level V1, so the dispatcher calls the proxy for all eleven) answers <c>{api, params}</c>,
/// or fails with PaymentFailed "nope &lt;api&gt;" when the parameters have <c>reject: true</c>; <see cref="Gate"/>, when set, holds the answers back.
/// </summary>
internal sealed class EchoOpenApiProxy : MiniOpenApiProxy
{
    public TaskCompletionSource? Gate { get; set; }

    public CancellationToken LastToken { get; private set; }

    public override ApiLevel DefaultApiLevel(MiniAppContext context) => ApiLevel.V1;

    public override Task<OpenApiResult> LoginAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("login", parameters, cancellationToken);

    public override Task<OpenApiResult> GetUserInfoAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("getUserInfo", parameters, cancellationToken);

    public override Task<OpenApiResult> GetUserProfileAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("getUserProfile", parameters, cancellationToken);

    public override Task<OpenApiResult> GetPhoneNumberAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("getPhoneNumber", parameters, cancellationToken);

    public override Task<OpenApiResult> RequestPaymentAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("requestPayment", parameters, cancellationToken);

    public override Task<OpenApiResult> RequestMidasPaymentGameItemAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("requestMidasPaymentGameItem", parameters, cancellationToken);

    public override Task<OpenApiResult> CheckSessionAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("checkSession", parameters, cancellationToken);

    public override Task<OpenApiResult> GetEmailAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("getEmail", parameters, cancellationToken);

    public override Task<OpenApiResult> ChooseAvatarAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("chooseAvatar", parameters, cancellationToken);

    public override Task<OpenApiResult> GetNickNameAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("getNickName", parameters, cancellationToken);

    public override Task<OpenApiResult> RequestVirtualPaymentAsync(MiniAppContext context, JsonObject parameters, CancellationToken cancellationToken = default) => this.EchoAsync("requestVirtualPayment", parameters, cancellationToken);

    private async Task<OpenApiResult> EchoAsync(string api, JsonObject parameters, CancellationToken cancellationToken)
    {
        this.LastToken = cancellationToken;
        if (this.Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return parameters["reject"]?.GetValue<bool>() == true
            ? OpenApiResult.Error(OpenApiErrno.PaymentFailed, $"nope {api}")
            : OpenApiResult.Ok(new JsonObject { ["api"] = api, ["params"] = parameters.DeepClone() });
    }
}
