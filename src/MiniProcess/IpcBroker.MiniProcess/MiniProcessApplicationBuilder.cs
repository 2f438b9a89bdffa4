using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess;

/// <summary>
/// Builds a <see cref="MiniProcessApplication"/>: a Generic Host (<see cref="HostApplicationBuilder"/>) whose
/// configuration, logging and services are set up for a mini program process. Made by
/// <see cref="MiniProcessApplication.CreateBuilder"/>.
/// </summary>
/// <remarks>
/// <para>What differs from <see cref="Host.CreateApplicationBuilder()"/>, and why: the content root is the executable's
/// directory (<see cref="AppContext.BaseDirectory"/>), never the current directory, which is the mini program's writable
/// sandbox: a settings file planted there is never read. Configuration is, in order: <c>appsettings.json</c> and
/// <c>appsettings.{Environment}.json</c> beside the executable (read once, never watched), the environment variables,
/// the command line. The environment variables come from the host alone (it clears the environment and passes only
/// what a program needs plus its own <c>MiniSandboxOptions.Environment</c>), and of them only <c>DOTNET_ENVIRONMENT</c> is
/// read as a host setting (which <c>appsettings.{Environment}.json</c> is read; Production by default):
/// <c>DOTNET_CONTENTROOT</c> and the other <c>DOTNET_</c> host settings are not, and no user secrets are read (they
/// would come from <c>HOME</c>, which is the sandbox too).</para>
/// <para>Logs go to standard error, one line each, at Information and above unless the configuration's <c>Logging</c>
/// section says otherwise: the host reads a mini process's standard error and forwards it to its own log. Standard
/// output is left to the mini program.</para>
/// </remarks>
public sealed class MiniProcessApplicationBuilder : IHostApplicationBuilder
{
    private readonly HostApplicationBuilder inner;
    private Func<MiniProcessClient, IServiceProvider, Task>? onConnected;
    private bool built;

    /// <summary>Initializes a new instance of the <see cref="MiniProcessApplicationBuilder"/> class.</summary>
    /// <param name="args">The command line arguments, read as configuration.</param>
    internal MiniProcessApplicationBuilder(string[]? args)
    {
        this.inner = new HostApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,

            // No defaults: they would read DOTNET_ variables as host settings (the content root among them), watch the
            // settings files, and read user secrets from HOME (the sandbox) in Development.
            DisableDefaults = true,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = System.Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } name ? name : Environments.Production,
        });

        string environmentName = this.inner.Environment.EnvironmentName;
        this.inner.Configuration
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddJsonFile($"appsettings.{environmentName}.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables();
        if (args is { Length: > 0 })
        {
            this.inner.Configuration.AddCommandLine(args);
        }

        this.inner.Logging
            .AddConfiguration(this.inner.Configuration.GetSection("Logging"))
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .SetMinimumLevel(LogLevel.Information);

        // The host's own "Application started" lines say nothing the mini process's own log does not.
        this.inner.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        this.inner.Services.AddSingleton<MiniProcessClientAccessor>();
        this.inner.Services.AddSingleton(sp => new MiniProcessExit(sp.GetRequiredService<IHostApplicationLifetime>()));
    }

    /// <summary>Gets the configuration: the settings files beside the executable, the environment, the command line.</summary>
    public ConfigurationManager Configuration => this.inner.Configuration;

    /// <summary>Gets the environment; its content root is the executable's directory.</summary>
    public IHostEnvironment Environment => this.inner.Environment;

    /// <summary>Gets the logging set-up (standard error, one line per entry).</summary>
    public ILoggingBuilder Logging => this.inner.Logging;

    /// <summary>Gets the metrics set-up.</summary>
    public IMetricsBuilder Metrics => this.inner.Metrics;

    /// <summary>Gets the services: add the mini program's plugins with <c>AddIpcPlugin&lt;T&gt;()</c>, and hosted services if it needs them.</summary>
    public IServiceCollection Services => this.inner.Services;

    /// <inheritdoc/>
    IConfigurationManager IHostApplicationBuilder.Configuration => this.inner.Configuration;

    /// <inheritdoc/>
    IDictionary<object, object> IHostApplicationBuilder.Properties => ((IHostApplicationBuilder)this.inner).Properties;

    /// <inheritdoc/>
    public void ConfigureContainer<TContainerBuilder>(IServiceProviderFactory<TContainerBuilder> factory, Action<TContainerBuilder>? configure = null)
        where TContainerBuilder : notnull
        => this.inner.ConfigureContainer(factory, configure);

    /// <summary>
    /// Sets the mini program's launch work: it runs once connected, on its own (the mini process serves calls meanwhile);
    /// if it throws, the failure is logged and the mini program goes on being served. A later call replaces it.
    /// </summary>
    /// <param name="launchWork">The work, given the connected client and the services.</param>
    /// <returns>This builder.</returns>
    public MiniProcessApplicationBuilder OnConnected(Func<MiniProcessClient, IServiceProvider, Task> launchWork)
    {
        ArgumentNullException.ThrowIfNull(launchWork);
        this.onConnected = launchWork;
        return this;
    }

    /// <summary>Builds the application; call once.</summary>
    /// <returns>The application, ready to run.</returns>
    /// <exception cref="InvalidOperationException">When called a second time.</exception>
    public MiniProcessApplication Build()
    {
        if (this.built)
        {
            throw new InvalidOperationException("A mini process application is built once.");
        }

        this.built = true;
        return new MiniProcessApplication(this.inner.Build(), this.onConnected);
    }
}
