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
        string directory = string.IsNullOrEmpty(tmp) ? "/tmp" : tmp;
        try
        {
            return Directory.EnumerateFileSystemEntries(directory, $"dotnet-diagnostic-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-*-socket").FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A line for <c>serve</c>'s banner: where the port is and how to turn it off, or that it is off.</summary>
    /// <returns>The line.</returns>
    public static string Describe() => Find() is { } socket
        ? $"diagnostic port: on ({socket}; DOTNET_EnableDiagnostics=0 in the host's environment turns it off)"
        : "diagnostic port: off";
}
