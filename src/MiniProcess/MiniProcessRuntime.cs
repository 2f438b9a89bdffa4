using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess;

/// <summary>
/// The main loop of a mini program process: read the launch line from standard input, connect, serve the mini-side
/// plugins, and exit when the host closes the connection or standard input (the host died or stopped us).
/// </summary>
/// <remarks>
/// Standard input stays open for the process's whole life: the host never writes to it again, so end-of-file means the
/// host has closed it or died (the kernel closes a dead process's pipes). That is how a mini process learns of its
/// host's death even by SIGKILL, with no polling.
/// </remarks>
public static class MiniProcessRuntime
{
    /// <summary>Exit code: the host closed the connection or standard input.</summary>
    public const int ExitNormal = 0;

    /// <summary>Exit code: the launch line was missing or malformed.</summary>
    public const int ExitBadLaunchInfo = 2;

    /// <summary>Exit code: the host refused the handshake or could not be reached.</summary>
    public const int ExitConnectFailed = 3;

    /// <summary>Runs a mini program process until the host lets go of it.</summary>
    /// <param name="configure">Adds the process's plugins and services.</param>
    /// <param name="onConnected">Runs once connected (a mini program's launch work), or null.</param>
    /// <param name="input">Where the launch line comes from; null for standard input.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(Action<IServiceCollection> configure, Func<MiniProcessClient, IServiceProvider, Task>? onConnected = null, TextReader? input = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        input ??= Console.In;
        var services = new ServiceCollection();

        // Standard output and error are read by the host and forwarded to its log.
        services.AddLogging(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }).AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Information));
        configure(services);
        await using ServiceProvider provider = services.BuildServiceProvider();
        ILogger logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("IpcBroker.MiniProcess");

        MiniLaunchInfo launchInfo;
        try
        {
            // Bounded: a host that starts us and never writes must not leave us waiting forever. Console.In's async reads
            // block the calling thread, so every read of standard input happens on a thread of its own.
            string? line = await ReadLineOnOwnThreadAsync(input).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            launchInfo = MiniLaunchInfo.Parse(line);
        }
        catch (Exception ex) when (ex is FormatException or TimeoutException)
        {
            logger.LogError("Cannot start: {Reason}", ex.Message);
            return ExitBadLaunchInfo;
        }

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

        await using (client.ConfigureAwait(false))
        {
            logger.LogInformation("Connected to the host as {AppId} ({VerType}), pid {Pid}.", launchInfo.AppId, launchInfo.VerType, Environment.ProcessId);
            Task hostGone = WaitForEndOfInputAsync(input);
            if (onConnected is not null)
            {
                _ = RunLaunchWorkAsync(onConnected, client, provider, logger);
            }

            Task ended = await Task.WhenAny(client.Completion, hostGone).ConfigureAwait(false);
            logger.LogInformation("Exiting: {Reason}.", ended == hostGone ? "the host closed standard input" : "the host closed the connection (" + client.Connection.CloseReason + ")");
        }

        return ExitNormal;
    }

    private static Task<string?> ReadLineOnOwnThreadAsync(TextReader input) =>
        Task.Factory.StartNew(input.ReadLine, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static Task WaitForEndOfInputAsync(TextReader input) => Task.Factory.StartNew(
        () =>
        {
            while (input.ReadLine() is not null)
            {
                // The host writes nothing after the launch line; anything else is ignored.
            }
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);

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
