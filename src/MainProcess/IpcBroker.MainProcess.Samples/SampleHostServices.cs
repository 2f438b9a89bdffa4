using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Demo;

/// <summary>The services of a host with the sample plugins, shared by <c>demo</c> and <c>serve</c>.</summary>
internal static class SampleHostServices
{
    /// <summary>
    /// Logging (warnings and up, one line each), the transcript, the open APIs over <paramref name="store"/> with the
    /// sample account proxy, and the sample plugins: user data, open data, payments with the sample provider, and the
    /// greeting the sample JS plugin asks for.
    /// </summary>
    /// <param name="transcript">Where the plugins write what they do.</param>
    /// <param name="store">The open APIs' SQLite store.</param>
    /// <param name="signedInUser">The host's signed-in user, read at each call.</param>
    /// <param name="profiles">The profiles of the users the sample proxy knows.</param>
    /// <returns>The collection, ready for more services or to be built.</returns>
    public static IServiceCollection Create(DemoTranscript transcript, OpenApiStore store, Func<string?> signedInUser, IReadOnlyDictionary<string, UserProfile> profiles) => new ServiceCollection()
        .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
        .AddSingleton(transcript)
        .AddSingleton(store)
        .AddSingleton(new OpenApiOptions())
        .AddSingleton<MiniAppProxy>(new SampleMiniAppProxy(signedInUser, profiles))
        .AddSingleton<OpenApiService>()
        .AddSingleton<IPaymentProvider, SamplePaymentProvider>()
        .AddIpcPlugin<UserDataPlugin>()
        .AddIpcPlugin<OpenDataPlugin>()
        .AddIpcPlugin<PaymentPlugin>()
        .AddIpcPlugin<JsGreetingPlugin>();
}
