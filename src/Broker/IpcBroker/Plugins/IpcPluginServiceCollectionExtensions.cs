using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.Plugins;

/// <summary>Registers plugins with Microsoft.Extensions.DependencyInjection.</summary>
/// <remarks>Each side builds its <see cref="IpcEventRegistry"/> from every plugin added with <see cref="AddIpcPlugin{TPlugin}"/> (see <see cref="CreateRegistry"/>).</remarks>
public static class IpcPluginServiceCollectionExtensions
{
    /// <summary>Adds <typeparamref name="TPlugin"/> as a singleton plugin; its constructor may take other services.</summary>
    /// <typeparam name="TPlugin">The plugin type: a class marked <see cref="IpcMainPluginAttribute"/> or <see cref="IpcMiniPluginAttribute"/>.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    /// <remarks>The mark is checked when the registry is built (<see cref="CreateRegistry"/>), where the side is known.</remarks>
    public static IServiceCollection AddIpcPlugin<TPlugin>(this IServiceCollection services)
        where TPlugin : class
    {
        services.AddSingleton<TPlugin>();
        services.AddSingleton(new PluginRegistration(typeof(TPlugin), sp => sp.GetRequiredService<TPlugin>()));
        return services;
    }

    /// <summary>Builds the registry of <paramref name="side"/> from every plugin in the container.</summary>
    /// <param name="services">The service provider.</param>
    /// <param name="side">The side.</param>
    /// <returns>The registry.</returns>
    /// <exception cref="IpcConfigurationException">When a plugin's class is not marked for <paramref name="side"/> (see <see cref="IpcEventRegistry.Register(object)"/>).</exception>
    public static IpcEventRegistry CreateRegistry(this IServiceProvider services, IpcSide side)
    {
        var registry = new IpcEventRegistry(side);
        foreach (PluginRegistration plugin in services.GetServices<PluginRegistration>())
        {
            registry.Register(plugin.Resolve(services));
        }

        return registry;
    }

    /// <summary>One plugin added to a container: its type, and how to get its one instance.</summary>
    /// <param name="Type">The plugin type.</param>
    /// <param name="Resolve">Gets the singleton from the provider.</param>
    internal sealed record PluginRegistration(Type Type, Func<IServiceProvider, object> Resolve);
}
