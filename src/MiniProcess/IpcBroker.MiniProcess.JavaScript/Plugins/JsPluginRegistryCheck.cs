using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Builds the <see cref="JsPluginRegistry"/> when the mini process starts, so that a bad registration stops the start rather than the first call.</summary>
/// <param name="services">The services.</param>
internal sealed class JsPluginRegistryCheck(IServiceProvider services) : IHostedService
{
    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<JsPluginRegistry>();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
