using System.Threading.Channels;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess;

/// <summary>
/// A mini program process on the Generic Host: reads the launch line from standard input, connects, serves that mini
/// program's plugins (from the container), and ends when the session ends. A process serves one mini program for its
/// whole life.
/// </summary>
/// <example>
/// <code>
/// var builder = MiniProcessApplication.CreateBuilder(args);
/// builder.Services.AddIpcPlugin&lt;MyMiniPlugin&gt;();
/// return await builder.Build().RunAsync();
/// </code>
/// </example>
/// <remarks>
/// <para>Standard input carries one launch line and then stays open for the process's whole life. End-of-file means the
/// host stopped us or died (the kernel closes a dead process's pipes): that is how a mini process learns of its host's
/// death even by SIGKILL, without polling. The host never sends a second launch line; one that arrives anyway is not
/// served: it is logged and the process exits.</para>
/// <para>The session ends when the host closes the connection or standard input, the connection breaks, or the app is
/// asked to stop (SIGTERM, Ctrl+C, <see cref="IHostApplicationLifetime.StopApplication"/>). The host starts a new process
/// for the next mini program, so nothing of one mini program (its secret, its sandbox, whatever a compromise left behind)
/// can reach another.</para>
/// <para>A spare — a process the host started before it knew which mini program it would serve, told so by the environment
/// variable <c>IPCBROKER_SPARE=1</c> — runs the broker's call path once over an in-memory pair (so that its first real call
/// is not slowed by compiling it), writes a ready line on standard output, and waits for its launch line without the
/// <see cref="MiniProcessRuntime.LaunchLineTimeout"/>, still ending when standard input ends. It runs nothing of the mini
/// program's own (no plugin, no hosted service) before its launch line.</para>
/// <para>The Generic Host (and the hosted services the mini program added) starts once the launch line is read, before
/// connecting, and stops after the session; <see cref="RunAsync"/> then disposes it, with the plugins.</para>
/// </remarks>
public sealed class MiniProcessApplication : IAsyncDisposable
{
    /// <summary>How long the Generic Host's own stop (the mini program's hosted services) may take after the session.</summary>
    private static readonly TimeSpan HostStopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a session a service ended (<see cref="MiniProcessExit.Request"/>) stays connected for the answers given
    /// just before the request to reach the host: it ends sooner when the host hangs up.
    /// </summary>
    private static readonly TimeSpan ExitAnswerGrace = TimeSpan.FromSeconds(2);

    private readonly IHost host;
    private readonly Func<MiniProcessClient, IServiceProvider, Task>? onConnected;
    private int ran;

    internal MiniProcessApplication(IHost host, Func<MiniProcessClient, IServiceProvider, Task>? onConnected)
    {
        this.host = host;
        this.onConnected = onConnected;
    }

    /// <summary>Gets the application's services.</summary>
    public IServiceProvider Services => this.host.Services;

    /// <summary>Creates the builder of a mini program process (see <see cref="MiniProcessApplicationBuilder"/> for its set-up).</summary>
    /// <param name="args">The command line arguments, read as configuration; null for none.</param>
    /// <returns>The builder.</returns>
    public static MiniProcessApplicationBuilder CreateBuilder(string[]? args = null) => new(args);

    /// <summary>Runs the mini program process from standard input until its session ends, then disposes the application.</summary>
    /// <returns>The process exit code: <see cref="MiniProcessRuntime.ExitNormal"/>, <see cref="MiniProcessRuntime.ExitBadLaunchInfo"/>, <see cref="MiniProcessRuntime.ExitConnectFailed"/>, or the code a service asked for through <see cref="MiniProcessExit.Request"/>.</returns>
    /// <param name="cancellationToken">Asks the app to stop, as <see cref="IHostApplicationLifetime.StopApplication"/> does: the session ends and the exit code is <see cref="MiniProcessRuntime.ExitNormal"/>. The wait for the launch line is bounded by <see cref="MiniProcessRuntime.LaunchLineTimeout"/> alone, or, in a spare (the host's warm process, <c>IPCBROKER_SPARE=1</c>), by the end of standard input alone.</param>
    /// <exception cref="InvalidOperationException">When called a second time.</exception>
    public Task<int> RunAsync(CancellationToken cancellationToken = default) => this.RunCoreAsync(null, cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (this.host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            this.host.Dispose();
        }
    }

    /// <summary>Runs the mini program process, the launch line read from <paramref name="input"/> (null: standard input).</summary>
    internal async Task<int> RunCoreAsync(TextReader? input, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref this.ran, 1) != 0)
        {
            throw new InvalidOperationException("A mini process application runs once: a process serves one mini program for its life.");
        }

        await using (this.ConfigureAwait(false))
        {
            ILogger logger = this.host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("IpcBroker.MiniProcess");
            ChannelReader<string> lines = ReadLinesOnOwnThread(input ?? Console.In);

            // A spare (started before the host knows which mini program it will serve) warms up, says it is ready and waits
            // for its launch line as long as the host keeps it; end-of-file on standard input still ends it.
            bool spare = SpareProcessSignals.IsSpare(Environment.GetEnvironmentVariable);
            if (spare)
            {
                await SpareWarmUp.RunAsync(logger).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(SpareProcessSignals.ReadyLine).ConfigureAwait(false);
                await Console.Out.FlushAsync().ConfigureAwait(false);
            }

            // Bounded unless a spare: a host that starts us and never writes must not leave us waiting forever (Parse reports the missing line).
            string? line = await NextLineAsync(lines, SpareProcessSignals.LaunchLineTimeout(spare)).ConfigureAwait(false);
            MiniLaunchInfo launchInfo;
            try
            {
                launchInfo = MiniLaunchInfo.Parse(line);
            }
            catch (FormatException ex)
            {
                logger.LogError("Cannot start: {Reason}", ex.Message);
                return MiniProcessRuntime.ExitBadLaunchInfo;
            }

            await this.host.StartAsync(CancellationToken.None).ConfigureAwait(false);
            IHostApplicationLifetime lifetime = this.host.Services.GetRequiredService<IHostApplicationLifetime>();
            using CancellationTokenRegistration stopOnCancel = cancellationToken.Register(lifetime.StopApplication);
            try
            {
                return await this.ServeAsync(launchInfo, lines, logger).ConfigureAwait(false);
            }
            finally
            {
                using var stopTimeout = new CancellationTokenSource(HostStopTimeout);
                await this.host.StopAsync(stopTimeout.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Serves the mini program until the host closes its connection or standard input, or sends another line.</summary>
    /// <returns>The exit code.</returns>
    private async Task<int> ServeAsync(MiniLaunchInfo launchInfo, ChannelReader<string> lines, ILogger logger)
    {
        IServiceProvider provider = this.host.Services;
        MiniProcessClient client;
        try
        {
            client = await MiniProcessClient.ConnectAsync(launchInfo, provider.CreateRegistry(IpcSide.Mini), provider.GetService<IpcConnectionOptions>(), provider.GetRequiredService<ILoggerFactory>()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HandshakeException or TimeoutException or IOException or UnauthorizedAccessException or FormatException)
        {
            logger.LogError("Cannot connect to the host: {Reason}", ex.Message);
            return MiniProcessRuntime.ExitConnectFailed;
        }
        catch (ObjectDisposedException)
        {
            // Admitted, then let go before the connection was set up (the host stopped this mini program at once, for
            // example to make room for another): the session is over before it began.
            logger.LogInformation("Exiting: the host closed the connection of {AppId} as it was set up.", launchInfo.AppId);
            return MiniProcessRuntime.ExitNormal;
        }

        provider.GetRequiredService<MiniProcessClientAccessor>().Set(client);
        await using (client.ConfigureAwait(false))
        {
            logger.LogInformation("Serving {AppId} ({VerType}) in pid {Pid}.", launchInfo.AppId, launchInfo.VerType, Environment.ProcessId);
            if (this.onConnected is not null)
            {
                _ = RunLaunchWorkAsync(this.onConnected, client, provider, logger);
            }

            // The session ends when the host lets go of the connection or closes standard input (a stop, or its death), or
            // when the app is asked to stop. Anything else on standard input is a second launch line, which the host never
            // sends: it ends the session too.
            Task<bool> inputMoved = lines.WaitToReadAsync().AsTask();
            CancellationToken stopping = provider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            Task stopRequested = Task.Delay(Timeout.Infinite, stopping);
            Task ended = await Task.WhenAny(client.Completion, inputMoved, stopRequested).ConfigureAwait(false);
            if (ended == inputMoved && await inputMoved.ConfigureAwait(false))
            {
                logger.LogWarning("Ignored a second launch line: a mini process serves one mini program for its life. Exiting.");
            }
            else if (ended == stopRequested && provider.GetRequiredService<MiniProcessExit>() is { ExitCode: { } code, Reason: { } why })
            {
                logger.LogWarning("Exiting with code {ExitCode}: stopped serving {AppId}: {Reason}.", code, launchInfo.AppId, why);

                // The answers given just before the request (a launch failed by a runaway, with its reason) may still be on
                // their way out: disposing the connection now would drop them. Bounded; the host usually hangs up first.
                await Task.WhenAny(client.Completion, inputMoved, Task.Delay(ExitAnswerGrace)).ConfigureAwait(false);
                return code;
            }
            else
            {
                string reason = ended == inputMoved ? "the host closed standard input" : ended == stopRequested ? "the app was asked to stop" : client.Connection.CloseReason;
                logger.LogInformation("Exiting: stopped serving {AppId}: {Reason}.", launchInfo.AppId, reason);
            }
        }

        return MiniProcessRuntime.ExitNormal;
    }

    private static async Task<string?> NextLineAsync(ChannelReader<string> lines, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await lines.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && lines.TryRead(out string? line) ? line : null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Reads standard input on a thread of its own: Console.In's async reads block their caller.</summary>
    private static ChannelReader<string> ReadLinesOnOwnThread(TextReader input)
    {
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var thread = new Thread(() =>
        {
            try
            {
                while (input.ReadLine() is { } line)
                {
                    channel.Writer.TryWrite(line);
                }
            }
            catch (IOException)
            {
                // A broken pipe is an end of input too.
            }
            finally
            {
                channel.Writer.TryComplete();
            }
        })
        {
            IsBackground = true,
            Name = "IpcBroker stdin",
        };
        thread.Start();
        return channel.Reader;
    }

    private static async Task RunLaunchWorkAsync(Func<MiniProcessClient, IServiceProvider, Task> onConnected, MiniProcessClient client, IServiceProvider provider, ILogger logger)
    {
        try
        {
            await onConnected(client, provider).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The mini program's launch work failed.");
        }
    }
}
