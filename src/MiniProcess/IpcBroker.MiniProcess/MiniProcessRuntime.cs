using System.Threading.Channels;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace IpcBroker.MiniProcess;

/// <summary>
/// The main loop of a mini program process: read the launch line from standard input, connect, serve that mini program's
/// plugins, and exit when the session ends. A process serves one mini program for its whole life.
/// </summary>
/// <remarks>
/// <para>Standard input carries one launch line and then stays open for the process's whole life. End-of-file means the
/// host stopped us or died (the kernel closes a dead process's pipes): that is how a mini process learns of its host's
/// death even by SIGKILL, without polling. The host never sends a second launch line; one that arrives anyway is not
/// served: it is logged and the process exits.</para>
/// <para>The process exits when its session ends: the host closed the connection, closed standard input, or the connection
/// broke. The host starts a new process for the next mini program, so nothing of one mini program (its secret, its
/// sandbox, whatever a compromise left behind) can reach another.</para>
/// </remarks>
public static class MiniProcessRuntime
{
    /// <summary>Exit code: the session ended (the host closed the connection or standard input).</summary>
    public const int ExitNormal = 0;

    /// <summary>Exit code: the launch line was missing or malformed.</summary>
    public const int ExitBadLaunchInfo = 2;

    /// <summary>Exit code: the host refused the handshake or could not be reached, or the launch line is of another protocol version.</summary>
    public const int ExitConnectFailed = 3;

    /// <summary>How long to wait for the launch line.</summary>
    public static readonly TimeSpan LaunchLineTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs a mini program process: serves the mini program its launch line names until its session ends.</summary>
    /// <param name="configure">Adds the plugins and services of the mini program.</param>
    /// <param name="onConnected">Runs once connected (the mini program's launch work), or null.</param>
    /// <param name="input">Where the launch line comes from; null for standard input.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(Action<IServiceCollection> configure, Func<MiniProcessClient, IServiceProvider, Task>? onConnected = null, TextReader? input = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ChannelReader<string> lines = ReadLinesOnOwnThread(input ?? Console.In);
        using ILoggerFactory runtimeLoggers = CreateLoggerFactory();
        ILogger logger = runtimeLoggers.CreateLogger("IpcBroker.MiniProcess");

        // Bounded: a host that starts us and never writes must not leave us waiting forever (Parse reports the missing line).
        string? line = await NextLineAsync(lines).ConfigureAwait(false);
        MiniLaunchInfo launchInfo;
        try
        {
            launchInfo = MiniLaunchInfo.Parse(line);
        }
        catch (FormatException ex)
        {
            logger.LogError("Cannot start: {Reason}", ex.Message);
            return ExitBadLaunchInfo;
        }

        return await ServeAsync(launchInfo, configure, onConnected, lines, logger).ConfigureAwait(false);
    }

    /// <summary>Serves the mini program until the host closes its connection or standard input, or sends another line.</summary>
    /// <returns>The exit code.</returns>
    private static async Task<int> ServeAsync(MiniLaunchInfo launchInfo, Action<IServiceCollection> configure, Func<MiniProcessClient, IServiceProvider, Task>? onConnected, ChannelReader<string> lines, ILogger logger)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => AddLogging(b));
        services.AddSingleton<MiniProcessClientAccessor>();
        configure(services);
        await using ServiceProvider provider = services.BuildServiceProvider();

        MiniProcessClient client;
        try
        {
            client = await MiniProcessClient.ConnectAsync(launchInfo, provider.CreateRegistry(IpcSide.Mini), provider.GetService<IpcConnectionOptions>(), provider.GetRequiredService<ILoggerFactory>()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HandshakeException or TimeoutException or IOException or UnauthorizedAccessException or FormatException)
        {
            logger.LogError("Cannot connect to the host: {Reason}", ex.Message);
            return ExitConnectFailed;
        }
        catch (ObjectDisposedException)
        {
            // Admitted, then let go before the connection was set up (the host stopped this mini program at once, for
            // example to make room for another): the session is over before it began.
            logger.LogInformation("Exiting: the host closed the connection of {AppId} as it was set up.", launchInfo.AppId);
            return ExitNormal;
        }

        provider.GetRequiredService<MiniProcessClientAccessor>().Set(client);
        await using (client.ConfigureAwait(false))
        {
            logger.LogInformation("Serving {AppId} ({VerType}) in pid {Pid}.", launchInfo.AppId, launchInfo.VerType, Environment.ProcessId);
            if (onConnected is not null)
            {
                _ = RunLaunchWorkAsync(onConnected, client, provider, logger);
            }

            // The session ends when the host lets go of the connection or closes standard input (a stop, or its death).
            // Anything else on standard input is a second launch line, which the host never sends: it ends the session too.
            Task<bool> inputMoved = lines.WaitToReadAsync().AsTask();
            Task ended = await Task.WhenAny(client.Completion, inputMoved).ConfigureAwait(false);
            if (ended == inputMoved && await inputMoved.ConfigureAwait(false))
            {
                logger.LogWarning("Ignored a second launch line: a mini process serves one mini program for its life. Exiting.");
            }
            else
            {
                logger.LogInformation("Exiting: stopped serving {AppId}: {Reason}.", launchInfo.AppId, ended == inputMoved ? "the host closed standard input" : client.Connection.CloseReason);
            }
        }

        return ExitNormal;
    }

    private static async Task<string?> NextLineAsync(ChannelReader<string> lines)
    {
        using var timeout = new CancellationTokenSource(LaunchLineTimeout);
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

    private static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(b => AddLogging(b));

    /// <summary>Logs go to standard error, single-line; the host reads them and forwards them to its own log.</summary>
    private static ILoggingBuilder AddLogging(ILoggingBuilder builder) => builder
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .SetMinimumLevel(LogLevel.Information);

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
