namespace IpcBroker.Sessions;

/// <summary>
/// What the host and a spare mini process agree on (a spare is a mini process the host starts before it knows which mini
/// program it will serve): how the process learns it is one, and how it says it is ready to be bound.
/// </summary>
/// <remarks>
/// <para>A spare is told so by <see cref="EnvironmentVariable"/> (set to <c>1</c> in its cleared environment), not by its
/// launch line, because it must know before the line comes: it waits for that line without
/// <see cref="DefaultLaunchLineTimeout"/>, and still ends when its standard input reaches its end.</para>
/// <para>Once its runtime is up and it waits for its launch line, it writes <see cref="ReadyLine"/> on its standard output.
/// The host counts that line only before it has sent the launch line: until then the process has run nothing of any mini
/// program (it has been told none), so the line is the mini executable's own word; after it, a compromised mini program
/// could write anything, and the host no longer listens for it.</para>
/// </remarks>
internal static class SpareProcessSignals
{
    /// <summary>The environment variable that makes a mini process a spare when it is <c>1</c>.</summary>
    public const string EnvironmentVariable = "IPCBROKER_SPARE";

    /// <summary>The line a spare writes on its standard output once it waits for its launch line.</summary>
    public const string ReadyLine = "ipcbroker:spare-ready";

    /// <summary>How long a mini process that is not a spare waits for its launch line: 10 s.</summary>
    public static readonly TimeSpan DefaultLaunchLineTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether the process whose environment <paramref name="variable"/> reads is a spare.</summary>
    /// <param name="variable">Reads one environment variable (<see cref="Environment.GetEnvironmentVariable(string)"/>).</param>
    /// <returns>True when <see cref="EnvironmentVariable"/> is <c>1</c>.</returns>
    public static bool IsSpare(Func<string, string?> variable) => variable(EnvironmentVariable) == "1";

    /// <summary>How long a mini process waits for its launch line: without limit for a spare, else <see cref="DefaultLaunchLineTimeout"/>.</summary>
    /// <param name="spare">Whether the process is a spare.</param>
    /// <returns>The wait; <see cref="Timeout.InfiniteTimeSpan"/> for a spare.</returns>
    public static TimeSpan LaunchLineTimeout(bool spare) => spare ? Timeout.InfiniteTimeSpan : DefaultLaunchLineTimeout;
}
