using System.Runtime.InteropServices;

namespace IpcBroker.HostileMini;

/// <summary>
/// A host has one mini executable, so a hostile mini process runs beside well-behaved ones through a small wrapper
/// script set as <c>MiniAppHostOptions.MiniExecutablePath</c>: each process it starts claims the attack armed with
/// <see cref="Arm"/>, if any (an atomic rename, so exactly one process takes it), and runs the hostile mini process with
/// it; every other process runs the well-behaved test mini app. Both are started with <c>exec</c>, so the process the
/// host started, the one that connects and the one its pid names stay the same process.
/// </summary>
/// <remarks>Open the mini programs one at a time: arm, open the hostile one, then open the others.</remarks>
public sealed class HostileMiniScript
{
    private readonly string directory;

    private HostileMiniScript(string directory, string scriptPath, IReadOnlyList<string> readOnlyPaths)
    {
        this.directory = directory;
        this.ScriptPath = scriptPath;
        this.ReadOnlyPaths = readOnlyPaths;
    }

    /// <summary>Gets the wrapper script: the path to set as the host's mini executable.</summary>
    public string ScriptPath { get; }

    /// <summary>
    /// Gets what a sandboxed mini process started through the script must be able to read and execute besides the host's
    /// own grants: the two mini programs' directories (give them as the host's sandbox read-only paths).
    /// </summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; }

    /// <summary>
    /// Gets what it must be able to write: the script's directory, where it claims the armed attack by renaming a file
    /// (give them as the host's sandbox read-write paths). Keep nothing else there: every mini process can write it.
    /// </summary>
    public IReadOnlyList<string> ReadWritePaths => [this.directory];

    /// <summary>Writes the wrapper script into <paramref name="directory"/> (created if needed).</summary>
    /// <param name="directory">A directory of the caller's own.</param>
    /// <param name="hostileMiniDll">The hostile mini process's dll.</param>
    /// <param name="goodMiniDll">The well-behaved mini app's dll.</param>
    /// <returns>The script.</returns>
    public static HostileMiniScript Create(string directory, string hostileMiniDll, string goodMiniDll)
    {
        Directory.CreateDirectory(directory);
        string dotnet = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        if (!File.Exists(dotnet))
        {
            dotnet = "dotnet";
        }

        foreach (string path in new[] { directory, hostileMiniDll, goodMiniDll, dotnet })
        {
            if (path.Contains('\'', StringComparison.Ordinal))
            {
                throw new ArgumentException($"A path with a quote cannot go into the script: {path}");
            }
        }

        string script = Path.Combine(directory, "mini.sh");
        File.WriteAllText(script, $"""
            #!/bin/sh
            dir='{directory}'
            if mv "$dir/attack" "$dir/attack.$$" 2>/dev/null; then
              set -- $(cat "$dir/attack.$$")
              exec '{dotnet}' '{hostileMiniDll}' "$@"
            fi
            exec '{dotnet}' '{goodMiniDll}'

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new HostileMiniScript(directory, script, [Path.GetDirectoryName(Path.GetFullPath(hostileMiniDll))!, Path.GetDirectoryName(Path.GetFullPath(goodMiniDll))!]);
    }

    /// <summary>Makes the next process the host starts run <paramref name="attack"/> with <paramref name="arguments"/>.</summary>
    /// <param name="attack">The attack's name (see the hostile mini's Program.cs).</param>
    /// <param name="arguments">Its arguments, without spaces.</param>
    public void Arm(string attack, params string[] arguments)
    {
        string line = string.Join(' ', [attack, .. arguments]);
        string temporary = Path.Combine(this.directory, "attack.new");
        File.WriteAllText(temporary, line + "\n");
        File.Move(temporary, Path.Combine(this.directory, "attack"), overwrite: true);
    }
}
