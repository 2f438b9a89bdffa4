using IpcBroker.MainProcess.OpenApi;

namespace IpcBroker.Testing;

/// <summary>Puts the main side of the open APIs on a test broker, with fakes.</summary>
public static class OpenApiTestExtensions
{
    /// <summary>
    /// Registers <see cref="OpenDataPlugin"/> and <see cref="PaymentPlugin"/> on the broker's main side, over an in-memory
    /// store, with <paramref name="account"/> and <paramref name="payments"/> as the host's account and payment provider.
    /// </summary>
    /// <param name="broker">The broker.</param>
    /// <param name="account">Who is signed in.</param>
    /// <param name="payments">The payment provider (an <see cref="IPaymentProvider"/> of the test's own, or a fake that counts charges).</param>
    /// <param name="options">Lifetimes and clock.</param>
    /// <returns>The service and its store; dispose it with the broker.</returns>
    public static async Task<OpenApiTestContext> AddOpenApisAsync(this IIpcTestBroker broker, FakeAccount account, IPaymentProvider payments, OpenApiOptions? options = null)
    {
        OpenApiStore store = await OpenApiStore.OpenInMemoryAsync().ConfigureAwait(false);
        var service = new OpenApiService(store, account, options ?? new OpenApiOptions());
        broker.MainRegistry.Register(new OpenDataPlugin(service));
        broker.MainRegistry.Register(new PaymentPlugin(service, payments));
        return new OpenApiTestContext(service, store);
    }
}
