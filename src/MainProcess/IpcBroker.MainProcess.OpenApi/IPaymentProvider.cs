namespace IpcBroker.MainProcess.OpenApi;

/// <summary>The host's payment provider: the only party that can make an order paid.</summary>
/// <remarks>
/// <see cref="ChargeAsync"/> must be idempotent per order — (<see cref="PaymentRequest.AppId"/>, <see cref="PaymentRequest.UserId"/>,
/// <see cref="PaymentRequest.OrderId"/>), since two mini programs or users may use one order id — as real providers are with
/// an idempotency key. The broker claims an order in its store before it asks, so it asks once per order; it asks again
/// only when no outcome was stored: the host ended while the provider was asked, or the provider threw. The provider must
/// then answer with the first outcome and not charge twice.
/// </remarks>
public interface IPaymentProvider
{
    /// <summary>Charges an order, or tells the outcome of the charge already made for its id.</summary>
    /// <param name="request">The order.</param>
    /// <param name="cancellationToken">Fires when the host shuts down.</param>
    /// <returns>The outcome.</returns>
    Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken);
}
