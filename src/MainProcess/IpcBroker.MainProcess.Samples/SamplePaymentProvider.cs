using System.Collections.Concurrent;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// A sample provider for demos and tests: charges any order whose <c>amount</c> is a positive number up to
/// <see cref="Limit"/>, declines the rest, and keeps a ledger per order (app, user, order id) so that asking twice charges once.
/// </summary>
public sealed class SamplePaymentProvider : IPaymentProvider
{
    private readonly ConcurrentDictionary<OrderKey, Lazy<PaymentOutcome>> ledger = new();
    private int charges;

    /// <summary>Gets or sets the largest amount charged.</summary>
    public decimal Limit { get; set; } = 10_000;

    /// <summary>Gets how many charges were made (not counting repeated asks).</summary>
    public int Charges => Volatile.Read(ref this.charges);

    /// <summary>Gets or sets a hook run after a charge is made and before the answer is returned (tests kill processes there).</summary>
    public Func<PaymentRequest, Task>? AfterCharge { get; set; }

    /// <summary>Gets how many charges were made for one order id, over every mini program and user (at most one each).</summary>
    /// <param name="orderId">The order id.</param>
    /// <returns>How many.</returns>
    public int ChargesFor(string orderId) => this.ledger.Count(e => e.Key.OrderId == orderId && e.Value.IsValueCreated && e.Value.Value.Paid);

    /// <inheritdoc/>
    public async Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken)
    {
        bool first = false;
        PaymentOutcome outcome = this.ledger.GetOrAdd(new OrderKey(request.AppId, request.UserId, request.OrderId), _ => new Lazy<PaymentOutcome>(() =>
        {
            first = true;
            decimal amount = request.Parameters["amount"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number ? request.Parameters["amount"]!.GetValue<decimal>() : -1;
            if (amount <= 0 || amount > this.Limit)
            {
                return new PaymentOutcome(false, "sample-" + request.OrderId, $"declined: amount must be above 0 and at most {this.Limit}");
            }

            Interlocked.Increment(ref this.charges);
            return new PaymentOutcome(true, "sample-" + request.OrderId);
        })).Value;

        if (first && outcome.Paid && this.AfterCharge is { } hook)
        {
            await hook(request).ConfigureAwait(false);
        }

        return outcome;
    }
}
