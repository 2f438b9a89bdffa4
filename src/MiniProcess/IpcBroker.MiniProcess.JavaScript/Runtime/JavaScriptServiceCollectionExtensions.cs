using IpcBroker.MiniProcess.JavaScript;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the JavaScript mini program runtime to a mini process's services.</summary>
public static class JavaScriptServiceCollectionExtensions
{
    /// <summary>Makes the mini process able to run a mini program written in JavaScript when the host launches one.</summary>
    /// <param name="services">The mini process's services.</param>
    /// <param name="configure">Sets the options, after the configuration section <c>JavaScript</c>; null for none.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddJavaScriptMiniPrograms(this IServiceCollection services, Action<JavaScriptOptions>? configure = null)
    {
        // Skeleton: jsengine registers the runtime here.
        _ = configure;
        return services.AddWxApis();
    }
}
