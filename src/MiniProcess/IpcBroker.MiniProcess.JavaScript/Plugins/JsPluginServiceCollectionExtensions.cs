using IpcBroker.MiniProcess.JavaScript;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers JS plugins: the custom APIs a JavaScript mini program calls with <c>wx.invokeNativePlugin</c>.</summary>
public static class JsPluginServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="T"/> (marked <see cref="JsPluginAttribute"/>) as a singleton whose
    /// <see cref="JsEventAttribute"/> methods serve custom APIs. The handlers are checked when the runtime starts: a
    /// wrong signature, or two handlers for one <c>api_name</c>, is an <see cref="InvalidOperationException"/> naming them.
    /// </summary>
    /// <typeparam name="T">The plugin class.</typeparam>
    /// <param name="services">The mini process's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddJsPlugin<T>(this IServiceCollection services)
        where T : class
    {
        services.AddSingleton<T>();
        services.AddSingleton(new JsPluginRegistration(typeof(T)));
        return services;
    }
}
