using System.Globalization;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// The environment a mini process starts with: cleared, then only what a program needs to run. Nothing of the host's
/// own environment passes but the locale and time zone: no secrets, no <c>XDG_RUNTIME_DIR</c> (where the command line's
/// connection file lives), no <c>HOME</c> outside the mini program's own directories.
/// </summary>
internal static class MiniEnvironment
{
    /// <summary>The search path every mini process gets.</summary>
    public const string SearchPath = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>The host's variables that pass through when the host has them.</summary>
    private static readonly string[] Inherited = ["LANG", "LC_ALL", "TZ"];

    /// <summary>Builds the environment of one mini process.</summary>
    /// <param name="home">Its <c>HOME</c>: its sandbox directory, else its scratch directory.</param>
    /// <param name="scratch">Its scratch directory, its <c>TMPDIR</c>.</param>
    /// <param name="memoryLimitBytes">Its memory limit, or null.</param>
    /// <param name="extra">The host app's own additions; they win over everything above but the spare marker.</param>
    /// <param name="hostVariable">Reads one of the host's variables (the seam the tests use).</param>
    /// <param name="spare">Whether the process is a spare (<see cref="IpcBroker.Sessions.SpareProcessSignals.EnvironmentVariable"/>).</param>
    /// <returns>Every variable, name to value.</returns>
    public static Dictionary<string, string> Build(string home, string scratch, long? memoryLimitBytes, IReadOnlyDictionary<string, string> extra, Func<string, string?> hostVariable, bool spare)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = SearchPath,
            ["HOME"] = home,
            ["TMPDIR"] = scratch,

            // No diagnostic IPC socket in TMPDIR, no startup hooks or profilers attached from outside.
            ["DOTNET_EnableDiagnostics"] = "0",
        };
        foreach (string name in Inherited)
        {
            if (hostVariable(name) is { Length: > 0 } value)
            {
                environment[name] = value;
            }
        }

        if (memoryLimitBytes is { } limit)
        {
            // Three quarters of the process's limit, as the runtime picks by itself under a container's limit: the rest is
            // the runtime's own memory, the stacks and the native libraries. Hexadecimal, as the runtime reads it.
            environment["DOTNET_GCHeapHardLimit"] = "0x" + (limit / 4 * 3).ToString("X", CultureInfo.InvariantCulture);
        }

        foreach ((string name, string value) in extra)
        {
            environment[name] = value;
        }

        // Last: the host's own marker wins, so the additions can neither make a spare of a process nor unmake one.
        MarkSpare(environment!, spare);
        return environment;
    }

    /// <summary>
    /// Sets <see cref="IpcBroker.Sessions.SpareProcessSignals.EnvironmentVariable"/> to <c>1</c> for a spare and removes it
    /// for any other process: the last step of <see cref="Build"/>, and on its own where the environment is inherited (Windows).
    /// </summary>
    /// <param name="environment">The process's environment.</param>
    /// <param name="spare">Whether the process is a spare.</param>
    public static void MarkSpare(IDictionary<string, string?> environment, bool spare)
    {
        if (spare)
        {
            environment[IpcBroker.Sessions.SpareProcessSignals.EnvironmentVariable] = "1";
        }
        else
        {
            environment.Remove(IpcBroker.Sessions.SpareProcessSignals.EnvironmentVariable);
        }
    }
}
