using IpcBroker.Plugins;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Runs a <see cref="MiniAppHost"/> for the life of a Generic Host app: starts it with the app (or earlier, when something
/// resolves it first), stops every mini program and disposes it when the app stops. Registered by
/// <see cref="MiniAppHostServiceCollectionExtensions.AddMiniAppHost"/>.
/// </summary>
/// <remarks>
/// <para>The host is created and started on first need: when the container first resolves <see cref="MiniAppHost"/> (the
/// Generic Host builds every hosted service before starting any, so one that takes the host in its constructor starts it
/// then), or in <see cref="StartAsync"/> at the latest, from the options and the main-side plugins in the container at that
/// moment. Resolving it for the first time after the app has stopped throws an <see cref="InvalidOperationException"/> (the
/// container keeps an instance it resolved before, disposed after the stop).</para>
/// <para>Disposing the service (the container does, when the app is disposed) disposes a host it still holds: when a hosted
/// service added later fails to start, .NET stops none of the started ones, and the host's socket and processes must not stay.</para>
/// </remarks>
internal sealed class MiniAppHostService(IServiceProvider services, IOptions<MiniAppHostOptions> options, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly object gate = new();
    private readonly ILogger logger = loggerFactory.CreateLogger("IpcBroker.MainProcess.GenericHost");
    private MiniAppHost? host;
    private bool stopped;
    private int startingThread;

    /// <summary>Gets the running host, starting it if nothing has yet.</summary>
    /// <exception cref="InvalidOperationException">When the app has stopped (or the service was disposed).</exception>
    /// <exception cref="IpcConfigurationException">When the options are not valid (see <see cref="MiniAppHost.Start(IpcEventRegistry, MiniAppHostOptions?, ILoggerFactory?)"/>).</exception>
    public MiniAppHost Host
    {
        get
        {
            lock (this.gate)
            {
                if (this.stopped)
                {
                    throw new InvalidOperationException("The MiniAppHost has stopped with the app.");
                }

                if (this.host is null)
                {
                    // The lock lets its own thread in again: a plugin built for the registry below that needs the host would
                    // start it again, without end (and the container, once its stack runs deep, goes on on another thread,
                    // which then waits for this lock: a hang). Say so at the first time round instead.
                    if (this.startingThread == Environment.CurrentManagedThreadId)
                    {
                        throw new InvalidOperationException("The MiniAppHost was asked for while it was being started: a main plugin (or a service one needs) takes MiniAppHost in its constructor. Take IServiceProvider instead, and resolve MiniAppHost when a call comes.");
                    }

                    // Under the lock: two first resolutions at once start one host.
                    this.startingThread = Environment.CurrentManagedThreadId;
                    try
                    {
                        this.host = MiniAppHost.Start(services.CreateRegistry(IpcSide.Main), options.Value, loggerFactory);
                    }
                    finally
                    {
                        this.startingThread = 0;
                    }

                    HostLog.GenericHostStarted(this.logger, this.host.PipePath, this.host.Registry.Events.Count());
                }

                return this.host;
            }
        }
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _ = this.Host;
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Every step is bounded on its own (each mini process gets the options' shutdown timeout, then is killed and reaped
    /// within the reap timeout); <paramref name="cancellationToken"/> (the app's shutdown timeout) only stops the waiting,
    /// and the stop goes on in the background. The host is disposed even when stopping a mini program fails.
    /// </remarks>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        MiniAppHost? running = this.TakeHost();
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

    /// <summary>Disposes the host if the app never stopped it (a later hosted service failed to start, say); once.</summary>
    /// <returns>A task that completes when the host is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        MiniAppHost? running = this.TakeHost();
        if (running is not null)
        {
            HostLog.GenericHostDisposedUnstopped(this.logger);
            await StopAndDisposeAsync(running).ConfigureAwait(false);
        }
    }

    private static async Task StopAndDisposeAsync(MiniAppHost host)
    {
        try
        {
            // Every mini program first, while the listener still runs (a start under way finishes or fails as usual), then the rest.
            await host.StopAllMiniAppAsync().ConfigureAwait(false);
        }
        finally
        {
            // Whatever became of the mini programs (one not reaped in time throws above), the socket and listener go.
            await host.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Marks the service stopped and takes the host it holds, if any: whoever takes it stops it.</summary>
    private MiniAppHost? TakeHost()
    {
        lock (this.gate)
        {
            MiniAppHost? running = this.host;
            this.host = null;
            this.stopped = true;
            return running;
        }
    }
}
