using Microsoft.Extensions.Hosting;

namespace IpcBroker.MiniProcess;

/// <summary>
/// Lets a service of the mini process end it with an exit code of its own (for example
/// <see cref="MiniProcessRuntime.ExitMiniProgramFailed"/> when the mini program was stopped for what it did): the session
/// ends as when the app is asked to stop, and <see cref="MiniProcessApplication.RunAsync"/> returns that code.
/// </summary>
/// <remarks>
/// Registered by <see cref="MiniProcessApplicationBuilder"/>. Nothing waits for the caller: the request only asks the
/// Generic Host to stop. The session then stays connected for a short grace (2 s, less when the host hangs up first), so
/// that answers given just before the request still reach the host, and ends. The first request wins; later ones are
/// ignored.
/// </remarks>
public sealed class MiniProcessExit
{
    private readonly IHostApplicationLifetime lifetime;
    private int requested;

    /// <summary>Initializes a new instance of the <see cref="MiniProcessExit"/> class.</summary>
    /// <param name="lifetime">The Generic Host's lifetime, asked to stop on a request.</param>
    internal MiniProcessExit(IHostApplicationLifetime lifetime) => this.lifetime = lifetime;

    /// <summary>Gets the exit code asked for, or null when none was.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Gets why the exit was asked for, or null when it was not.</summary>
    public string? Reason { get; private set; }

    /// <summary>Asks the mini process to end its session and exit with <paramref name="exitCode"/>; returns at once.</summary>
    /// <param name="exitCode">The process exit code.</param>
    /// <param name="reason">Why, for the mini process's log.</param>
    /// <returns>True when this was the first request (the one that counts).</returns>
    public bool Request(int exitCode, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (Interlocked.Exchange(ref this.requested, 1) != 0)
        {
            return false;
        }

        this.Reason = reason;
        this.ExitCode = exitCode;
        this.lifetime.StopApplication();
        return true;
    }
}
