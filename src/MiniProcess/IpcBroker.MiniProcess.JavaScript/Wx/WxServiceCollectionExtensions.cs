using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Registers the <c>wx</c> functions (the open APIs, <c>invokeNativePlugin</c>) as <see cref="IJsGlobalInstaller"/>s.</summary>
internal static class WxServiceCollectionExtensions
{
    /// <summary>Adds the <c>wx</c> installers and the JS plugin registry; called once by <c>AddJavaScriptMiniPrograms</c> (a second call adds nothing).</summary>
    /// <param name="services">The services.</param>
    /// <returns><paramref name="services"/>.</returns>
    internal static IServiceCollection AddWxApis(this IServiceCollection services)
    {
        services.AddOptions();
        services.TryAddSingleton<JsPluginRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJsGlobalInstaller, OpenApiInstaller>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJsGlobalInstaller, InvokeNativePluginInstaller>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JsPluginRegistryCheck>());
        return services;
    }
}
