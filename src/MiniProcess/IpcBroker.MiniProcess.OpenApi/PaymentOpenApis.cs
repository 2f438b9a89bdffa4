using System.Text.Json.Nodes;
using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>
/// What a host's proxy calls to implement the three payment APIs: the order goes to the main-process payment plugin, which
/// writes it, asks the host's provider once, and answers with the outcome — the same outcome however often asked.
/// </summary>
public static class PaymentOpenApis
{
    /// <summary>Pays an order. <paramref name="parameters"/> must hold <c>orderId</c>; all of it is the order's identity.</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="kind">Which payment API.</param>
    /// <param name="parameters">The mini program's parameters (orderId, amount…).</param>
    /// <param name="cancellationToken">Fires at the call's deadline; the payment itself goes on in the main process.</param>
    /// <returns><c>{orderId, state, providerRef}</c>, or errno PaymentFailed, OrderConflict, BadParameters, NotLoggedIn, HostUnavailable.</returns>
    public static async Task<OpenApiResult> PayAsync(MiniAppContext context, PaymentKind kind, JsonObject parameters, CancellationToken cancellationToken = default)
    {
        if (parameters["orderId"] is not JsonValue orderId || orderId.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return OpenApiResult.Error(OpenApiErrno.BadParameters, "orderId (a string) is required.");
        }

        var request = new Bundle()
            .PutString("orderId", orderId.GetValue<string>())
            .PutString("kind", kind.ToString())
            .PutString("params", parameters.ToJsonString());
        return Describe(await OpenApiCalls.CallAsync(context, OpenApiEvents.Pay, request, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Asks what became of an order (after a restart, say).</summary>
    /// <param name="context">The mini program.</param>
    /// <param name="orderId">The order id.</param>
    /// <param name="cancellationToken">Fires at the call's deadline.</param>
    /// <returns><c>{orderId, state}</c> with state <c>none</c>, <c>Pending</c>, <c>Paid</c> or <c>Failed</c>.</returns>
    public static async Task<OpenApiResult> QueryAsync(MiniAppContext context, string orderId, CancellationToken cancellationToken = default) =>
        Describe(await OpenApiCalls.CallAsync(context, OpenApiEvents.PayQuery, new Bundle().PutString("orderId", orderId), cancellationToken).ConfigureAwait(false));

    private static OpenApiResult Describe((Bundle? Data, OpenApiResult? Failure) answer) => answer.Failure ?? OpenApiResult.Ok(new JsonObject
    {
        ["orderId"] = answer.Data!.GetString("orderId"),
        ["state"] = answer.Data.GetString("state"),
        ["providerRef"] = answer.Data.GetString("providerRef"),
    });
}
