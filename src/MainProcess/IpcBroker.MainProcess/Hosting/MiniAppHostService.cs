using IpcBroker.Plugins;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Runs a <see cref="MiniAppHost"/> for the life of a Generic Host app: starts it with the app, stops every mini program
/// and disposes it when the app stops. Registered by <see cref="MiniAppHostServiceCollectionExtensions.AddMiniAppHost"/>.
/// </summary>
/// <remarks>
/// <para>The host is created in <see cref="StartAsync"/>, from the options and the main-side plugins in the container at
/// that moment, so resolving <see cref="MiniAppHost"/> before the app has started throws an
/// <see cref="InvalidOperationException"/>, and so does resolving it for the first time after the app has stopped (the
/// container keeps the instance it resolved once, disposed after the stop).</para>
/// <para>Started at most once; the Generic Host calls <see cref="StartAsync"/> and <see cref="StopAsync"/> one after the
/// other, never together.</para>
/// </remarks>
internal sealed class MiniAppHostService(IServiceProvider services, IOptions<MiniAppHostOptions> options, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly ILogger logger = loggerFactory.CreateLogger("IpcBroker.MainProcess.GenericHost");
    private MiniAppHost? host;
    private bool stopped;

    /// <summary>Gets the running host.</summary>
    /// <exception cref="InvalidOperationException">When the app has not started yet, or has stopped.</exception>
    public MiniAppHost Host => this.host ?? throw new InvalidOperationException(this.stopped
        ? "The MiniAppHost has stopped with the app."
        : "The MiniAppHost is started with the app (its IHostedService): resolve it once the app has started, for example in another hosted service's StartAsync registered after AddMiniAppHost, or from IHostApplicationLifetime.ApplicationStarted.");

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (this.host is not null || this.stopped)
        {
            throw new InvalidOperationException("The MiniAppHost's hosted service starts once.");
        }

        this.host = MiniAppHost.Start(services.CreateRegistry(IpcSide.Main), options.Value, loggerFactory);
        HostLog.GenericHostStarted(this.logger, this.host.PipePath, this.host.Registry.Events.Count());
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Every step is bounded on its own (each mini process gets the options' shutdown timeout, then is killed and reaped
    /// within the reap timeout); <paramref name="cancellationToken"/> (the app's shutdown timeout) only stops the waiting,
    /// and the stop goes on in the background.
    /// </remarks>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        MiniAppHost? running = this.host;
        this.host = null;
        this.stopped = true;
        if (running is null)
        {
            return;
        }

        Task stopping = StopAndDisposeAsync(running);
        try
        {
            await stopping.WaitAsync(cancellationToken).ConfigureAwait(false);
            HostLog.GenericHostStopped(this.logger);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            HostLog.GenericHostStopAbandoned(this.logger);
            _ = stopping.ContinueWith(t => HostLog.GenericHostStopFailed(this.logger, t.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private static async Task StopAndDisposeAsync(MiniAppHost host)
    {
        // Every mini program first, while the listener still runs (a start under way finishes or fails as usual), then the rest.
        await host.StopAllMiniAppAsync().ConfigureAwait(false);
        await host.DisposeAsync().ConfigureAwait(false);
    }
}
