using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.Plugins;

/// <summary>Registers plugins with Microsoft.Extensions.DependencyInjection.</summary>
/// <remarks>Each side builds its <see cref="IpcEventRegistry"/> from every <see cref="IpcPlugin"/> in the container (see <see cref="CreateRegistry"/>).</remarks>
public static class IpcPluginServiceCollectionExtensions
{
    /// <summary>Adds <typeparamref name="TPlugin"/> as a singleton plugin; its constructor may take other services.</summary>
    /// <typeparam name="TPlugin">The plugin type.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddIpcPlugin<TPlugin>(this IServiceCollection services)
        where TPlugin : IpcPlugin
    {
        services.AddSingleton<TPlugin>();
        services.AddSingleton<IpcPlugin>(sp => sp.GetRequiredService<TPlugin>());
        return services;
    }

    /// <summary>Builds the registry of <paramref name="side"/> from every plugin in the container.</summary>
    /// <param name="services">The service provider.</param>
    /// <param name="side">The side.</param>
    /// <returns>The registry.</returns>
    public static IpcEventRegistry CreateRegistry(this IServiceProvider services, IpcSide side)
    {
        var registry = new IpcEventRegistry(side);
        foreach (IpcPlugin plugin in services.GetServices<IpcPlugin>())
        {
            registry.Register(plugin);
        }

        return registry;
    }
}
