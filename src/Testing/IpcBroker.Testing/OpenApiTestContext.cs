using IpcBroker.MainProcess.OpenApi;

namespace IpcBroker.Testing;

/// <summary>The main side of the open APIs put on a test broker; disposing it closes its in-memory store.</summary>
/// <param name="Service">For code-to-session, session checks and revocation in tests.</param>
/// <param name="Store">The in-memory store, for assertions on orders.</param>
public sealed record OpenApiTestContext(OpenApiService Service, OpenApiStore Store) : IAsyncDisposable
{
    /// <inheritdoc/>
    public ValueTask DisposeAsync() => this.Store.DisposeAsync();
}
