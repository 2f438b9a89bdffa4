using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the JavaScript mini program runtime to a mini process's services.</summary>
public static class JavaScriptServiceCollectionExtensions
{
    /// <summary>Makes the mini process able to run a mini program written in JavaScript when the host launches one.</summary>
    /// <param name="services">The mini process's services.</param>
    /// <param name="configure">Sets the options, after the configuration section <c>JavaScript</c>; null for none.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <remarks>
    /// Registers the runtime, the mini plugin serving the host's launch and show calls, the hosted service that runs
    /// <c>onHide</c> at the stop, and the <c>wx</c> APIs. A runaway mini program (see <see cref="JavaScriptOptions"/>)
    /// ends the process with <see cref="MiniProcessRuntime.ExitMiniProgramFailed"/>, its reason on standard output.
    /// </remarks>
    public static IServiceCollection AddJavaScriptMiniPrograms(this IServiceCollection services, Action<JavaScriptOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<JavaScriptOptions> options = services.AddOptions<JavaScriptOptions>().BindConfiguration("JavaScript");
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<IJsConsoleSink, StandardOutputConsoleSink>();
        services.TryAddSingleton<IMiniProgramFailureSink, ExitingFailureSink>();
        services.TryAddSingleton<JsMiniProgram>();
        services.AddIpcPlugin<MiniProgramLifecyclePlugin>();
        services.AddHostedService<MiniProgramHideService>();
        return services.AddWxApis();
    }
}
