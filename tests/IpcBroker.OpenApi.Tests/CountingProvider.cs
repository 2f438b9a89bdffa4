using System.Collections.Concurrent;
using IpcBroker.MainProcess.OpenApi;

namespace IpcBroker.OpenApi.Tests;

/// <summary>
/// A provider that counts every <see cref="ChargeAsync"/> call (unlike <see cref="SamplePaymentProvider"/>, whose ledger hides
/// a repeated ask) and pays every order; it answers after a yield, as a real provider answers asynchronously.
/// </summary>
internal sealed class CountingProvider : IPaymentProvider
{
    private readonly ConcurrentQueue<PaymentRequest> calls = new();

    /// <summary>Gets every request the provider was asked, in order.</summary>
    public IReadOnlyCollection<PaymentRequest> Calls => this.calls;

    /// <summary>Gets how often the provider was asked for one order id (of any mini program and user).</summary>
    public int CallsFor(string orderId) => this.calls.Count(c => c.OrderId == orderId);

    public async Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken)
    {
        this.calls.Enqueue(request);
        await Task.Yield();
        return new PaymentOutcome(true, $"counted-{request.AppId}-{request.OrderId}");
    }
}
