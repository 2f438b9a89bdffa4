namespace IpcBroker.MainProcess.OpenApi;

/// <summary>The host's payment provider: the only party that can make an order paid.</summary>
/// <remarks>
/// <see cref="ChargeAsync"/> must be idempotent per order id, as real providers are with an idempotency key: after a host
/// crash an order may be found pending, and the broker then asks again with the same order id; the provider must answer
/// with the first outcome and not charge twice. Within one host process the broker never asks twice for one order.
/// </remarks>
public interface IPaymentProvider
{
    /// <summary>Charges an order, or tells the outcome of the charge already made for its id.</summary>
    /// <param name="request">The order.</param>
    /// <param name="cancellationToken">Fires when the host shuts down.</param>
    /// <returns>The outcome.</returns>
    Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken);
}
