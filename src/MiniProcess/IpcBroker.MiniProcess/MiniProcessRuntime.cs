using Microsoft.Extensions.DependencyInjection;

namespace IpcBroker.MiniProcess;

/// <summary>
/// The main loop of a mini program process in one call, and its exit codes: read the launch line from standard input,
/// connect, serve that mini program's plugins, and exit when the session ends. A process serves one mini program for its
/// whole life. <see cref="MiniProcessApplication"/> is the same loop on the Generic Host, with configuration, logging and
/// services the usual way; <see cref="RunAsync"/> runs on it.
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

    /// <summary>
    /// Exit code: the mini program was stopped for what it did (a JavaScript mini program that ran too long without
    /// yielding, outgrew its heap, or recursed without end); the reason is written on standard output just before (see
    /// <see cref="IpcBroker.MiniPrograms.MiniProgramOutputLine.FormatExitReason"/>) and reaches the host's exit notice.
    /// </summary>
    public const int ExitMiniProgramFailed = 4;

    /// <summary>How long to wait for the launch line (10 s); a spare (the host's warm process) waits until its standard input ends instead.</summary>
    public static readonly TimeSpan LaunchLineTimeout = IpcBroker.Sessions.SpareProcessSignals.DefaultLaunchLineTimeout;

    /// <summary>Runs a mini program process: serves the mini program its launch line names until its session ends.</summary>
    /// <param name="configure">Adds the plugins and services of the mini program.</param>
    /// <param name="onConnected">Runs once connected (the mini program's launch work), or null.</param>
    /// <param name="input">Where the launch line comes from; null for standard input.</param>
    /// <returns>The process exit code.</returns>
    /// <remarks>
    /// Runs a <see cref="MiniProcessApplication"/> with no command line arguments: it reads <c>appsettings.json</c> beside
    /// the executable and the environment as configuration (see <see cref="MiniProcessApplicationBuilder"/>).
    /// </remarks>
    public static async Task<int> RunAsync(Action<IServiceCollection> configure, Func<MiniProcessClient, IServiceProvider, Task>? onConnected = null, TextReader? input = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        MiniProcessApplicationBuilder builder = MiniProcessApplication.CreateBuilder();
        configure(builder.Services);
        if (onConnected is not null)
        {
            builder.OnConnected(onConnected);
        }

        return await builder.Build().RunCoreAsync(input, CancellationToken.None).ConfigureAwait(false);
    }
}
