using IpcBroker.OpenApi;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>A payment order as stored.</summary>
/// <param name="OrderId">The mini program's order id.</param>
/// <param name="AppId">The mini program.</param>
/// <param name="UserId">The user who pays.</param>
/// <param name="Kind">Which payment API.</param>
/// <param name="ParamsHash">SHA-256 of the canonical parameters: the same id with other parameters is a conflict.</param>
/// <param name="Params">The parameters as canonical JSON.</param>
/// <param name="State">The state.</param>
/// <param name="ProviderRef">The provider's reference once it answered.</param>
/// <param name="Error">The provider's reason when it failed the payment.</param>
public sealed record OrderRecord(string OrderId, string AppId, string UserId, PaymentKind Kind, string ParamsHash, string Params, OrderState State, string? ProviderRef, string? Error)
{
    /// <summary>Gets what identifies the order: (app, user, order id).</summary>
    public OrderKey Key => new(this.AppId, this.UserId, this.OrderId);
}
