using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Adds a <see cref="MiniAppHost"/> to a Generic Host app (<c>Microsoft.Extensions.Hosting</c>).</summary>
public static class MiniAppHostServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="MiniAppHost"/> that starts with the app and stops with it (an <see cref="IHostedService"/>), serving
    /// the main-side plugins added with <see cref="IpcPluginServiceCollectionExtensions.AddIpcPlugin{TPlugin}"/>, configured
    /// through <c>IOptions&lt;MiniAppHostOptions&gt;</c> and logging to the app's <c>ILoggerFactory</c>.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Sets the options, or null; <c>services.Configure&lt;MiniAppHostOptions&gt;(configuration.GetSection(…))</c> binds them from configuration too.</param>
    /// <returns>The services.</returns>
    /// <remarks>
    /// <para><see cref="MiniAppHost"/> is a singleton of the container, created and started on first need, with the options
    /// and plugins as they are then: when it is first resolved (so a hosted service, or any service, may take it in its
    /// constructor; the Generic Host builds every hosted service before starting any), or in the hosted service's
    /// <c>StartAsync</c> at the latest. Resolving it for the first time after the app has stopped throws
    /// <see cref="InvalidOperationException"/>; an instance resolved before is the stopped, disposed host
    /// (<see cref="ObjectDisposedException"/> from its starts). Options that are not valid throw
    /// <see cref="IpcConfigurationException"/> where it is first resolved, or from the app's start.</para>
    /// <para>When the app stops, every mini program is stopped (<see cref="MiniAppHost.StopAllMiniAppAsync"/>) and the host is
    /// disposed, even when a mini program's stop fails; each mini process is bounded by the options' shutdown timeout, and the
    /// app's shutdown timeout bounds the wait. When the app never stops it (a hosted service added later failed to start),
    /// disposing the app does the same.</para>
    /// <para>Adding it twice adds one host.</para>
    /// </remarks>
    public static IServiceCollection AddMiniAppHost(this IServiceCollection services, Action<MiniAppHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<MiniAppHostOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(MiniAppHostService)))
        {
            services.AddSingleton<MiniAppHostService>();
            services.AddHostedService(sp => sp.GetRequiredService<MiniAppHostService>());
            services.TryAddSingleton(sp => sp.GetRequiredService<MiniAppHostService>().Host);
        }

        return services;
    }
}
