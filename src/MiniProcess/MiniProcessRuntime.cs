using System.Threading.Channels;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace IpcBroker.MiniProcess;

/// <summary>
/// The main loop of a mini program process: read a launch line from standard input, connect, serve that mini program's
/// plugins; when the host closes the connection, wait for the next launch line (the host reuses the process for another
/// mini program) and exit at end-of-file.
/// </summary>
/// <remarks>
/// <para>Standard input stays open for the process's whole life and carries nothing but launch lines. End-of-file means
/// the host stopped us or died (the kernel closes a dead process's pipes): that is how a mini process learns of its
/// host's death even by SIGKILL, without polling.</para>
/// <para>Each mini program served gets a service provider of its own, built by <c>configure</c> and disposed when it
/// ends, so no plugin state carries over from one mini program (or user) to the next in a reused process.</para>
/// </remarks>
public static class MiniProcessRuntime
{
    /// <summary>Exit code: the host closed standard input.</summary>
    public const int ExitNormal = 0;

    /// <summary>Exit code: the launch line was missing or malformed.</summary>
    public const int ExitBadLaunchInfo = 2;

    /// <summary>Exit code: the host refused the handshake or could not be reached.</summary>
    public const int ExitConnectFailed = 3;

    /// <summary>How long to wait for the first launch line, and for the next one after the host lets go of a mini program.</summary>
    public static readonly TimeSpan LaunchLineTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Runs a mini program process until the host lets go of it.</summary>
    /// <param name="configure">Adds the plugins and services of one mini program; called anew for each one served.</param>
    /// <param name="onConnected">Runs once connected (a mini program's launch work), or null.</param>
    /// <param name="input">Where launch lines come from; null for standard input.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(Action<IServiceCollection> configure, Func<MiniProcessClient, IServiceProvider, Task>? onConnected = null, TextReader? input = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ChannelReader<string> lines = ReadLinesOnOwnThread(input ?? Console.In);
        using ILoggerFactory runtimeLoggers = CreateLoggerFactory();
        ILogger logger = runtimeLoggers.CreateLogger("IpcBroker.MiniProcess");

        // Bounded: a host that starts us and never writes must not leave us waiting forever. A missing first line is
        // an error (Parse says so); a missing later one is the normal end.
        string? line = await NextLineAsync(lines).ConfigureAwait(false);
        bool first = true;
        while (line is not null || first)
        {
            first = false;
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

            int? failed = await ServeAsync(launchInfo, configure, onConnected, lines, logger).ConfigureAwait(false);
            if (failed is not null)
            {
                return failed.Value;
            }

            line = await NextLineAsync(lines).ConfigureAwait(false);
        }

        logger.LogInformation("Exiting: the host closed standard input or sent no launch line.");
        return ExitNormal;
    }

    /// <summary>Serves one mini program until the host closes its connection or standard input.</summary>
    /// <returns>An exit code when the process must end now, or null to wait for the next launch line.</returns>
    private static async Task<int?> ServeAsync(MiniLaunchInfo launchInfo, Action<IServiceCollection> configure, Func<MiniProcessClient, IServiceProvider, Task>? onConnected, ChannelReader<string> lines, ILogger logger)
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
            // example to make room for another): like any other let-go, the next launch line may follow.
            logger.LogInformation("Stopped serving {AppId}: the host closed the connection as it was set up.", launchInfo.AppId);
            return null;
        }

        provider.GetRequiredService<MiniProcessClientAccessor>().Set(client);
        await using (client.ConfigureAwait(false))
        {
            logger.LogInformation("Serving {AppId} ({VerType}) in pid {Pid}.", launchInfo.AppId, launchInfo.VerType, Environment.ProcessId);
            if (onConnected is not null)
            {
                _ = RunLaunchWorkAsync(onConnected, client, provider, logger);
            }

            // Either the host lets go of this mini program (the connection closes; a launch line may follow) or it closes
            // standard input (stop, or its death).
            Task endOfInput = lines.Completion;
            Task ended = await Task.WhenAny(client.Completion, endOfInput).ConfigureAwait(false);
            logger.LogInformation("Stopped serving {AppId}: {Reason}.", launchInfo.AppId, ended == endOfInput ? "the host closed standard input" : client.Connection.CloseReason);
        }

        return null;
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
