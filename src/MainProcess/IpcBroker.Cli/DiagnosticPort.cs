using System.Globalization;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Where this process's .NET diagnostic port listens, if it does: the runtime opens
/// <c>$TMPDIR/dotnet-diagnostic-PID-KEY-socket</c> unless <c>DOTNET_EnableDiagnostics=0</c> (everything: debugger,
/// profiler, diagnostic port) or <c>DOTNET_EnableDiagnostics_IPC=0</c> (the port only) is in its environment at start.
/// </summary>
/// <remarks>
/// The runtime reads those variables once, before any code of ours runs, and no runtimeconfig.json property replaces them
/// (checked on .NET 10): a host that wants the port off sets the variable where it is started. The port is on by default,
/// for the developer's tools (dotnet-trace, dotnet-dump, debuggers); sandboxed mini processes cannot reach it because they
/// cannot create a socket at all.
/// </remarks>
internal static class DiagnosticPort
{
    /// <summary>Finds this process's diagnostic port socket.</summary>
    /// <returns>Its path, or null when the runtime opened none.</returns>
    public static string? Find()
    {
        string? tmp = Environment.GetEnvironmentVariable("TMPDIR");
        return Find(string.IsNullOrEmpty(tmp) ? "/tmp" : tmp);
    }

    /// <summary>Finds this process's diagnostic port socket in <paramref name="directory"/>.</summary>
    /// <param name="directory">Where the runtime puts it.</param>
    /// <returns>Its path, or null when there is none.</returns>
    /// <remarks>
    /// The name carries the pid and the process's start time (<see cref="StartKey"/>): a process killed before it could
    /// remove its socket leaves the file behind, and a later process with the same pid must not take it for its own.
    /// </remarks>
    internal static string? Find(string directory)
    {
        try
        {
            string path = Path.Combine(directory, $"dotnet-diagnostic-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{StartKey().ToString(CultureInfo.InvariantCulture)}-socket");
            return File.Exists(path) ? path : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Gets this process's start time in clock ticks after boot (field 22 of <c>/proc/self/stat</c>), the key the runtime puts in the socket's name.</summary>
    /// <returns>The start time.</returns>
    /// <exception cref="IOException">When <c>/proc/self/stat</c> cannot be read.</exception>
    /// <exception cref="FormatException">When it is not as expected.</exception>
    internal static long StartKey()
    {
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted after the last ')'.
        string stat = File.ReadAllText("/proc/self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[22 - 3], CultureInfo.InvariantCulture);
    }

    /// <summary>A line for <c>serve</c>'s banner: where the port is and how to turn it off, or that it is off.</summary>
    /// <returns>The line.</returns>
    public static string Describe() => Find() is { } socket
        ? $"diagnostic port: on ({socket}; DOTNET_EnableDiagnostics=0 in the host's environment turns it off)"
        : "diagnostic port: off";
}
