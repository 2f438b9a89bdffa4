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
    private readonly string armDirectory;

    private HostileMiniScript(string armDirectory, string scriptPath, IReadOnlyList<string> readOnlyPaths)
    {
        this.armDirectory = armDirectory;
        this.ScriptPath = scriptPath;
        this.ReadOnlyPaths = readOnlyPaths;
    }

    /// <summary>
    /// Gets the wrapper script: the path to set as the host's mini executable. Its directory holds nothing else and the
    /// mini processes may only read it (the host grants the executable's directory read-only and refuses a read-write
    /// grant over it), so that no mini process can rewrite what the next one runs.
    /// </summary>
    public string ScriptPath { get; }

    /// <summary>
    /// Gets what a sandboxed mini process started through the script must be able to read and execute besides the host's
    /// own grants: the two mini programs' directories (give them as the host's sandbox read-only paths).
    /// </summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; }

    /// <summary>
    /// Gets what it must be able to write: the arm directory, where it claims the armed attack by renaming a file (give
    /// them as the host's sandbox read-write paths). It holds the attack files only: every mini process can write it.
    /// </summary>
    public IReadOnlyList<string> ReadWritePaths => [this.armDirectory];

    /// <summary>
    /// Writes the wrapper script into <c>script/</c> under <paramref name="directory"/> and makes the arm directory,
    /// <c>arm/</c>, beside it (both created if needed).
    /// </summary>
    /// <param name="directory">A directory of the caller's own.</param>
    /// <param name="hostileMiniDll">The hostile mini process's dll.</param>
    /// <param name="goodMiniDll">The well-behaved mini app's dll.</param>
    /// <returns>The script.</returns>
    public static HostileMiniScript Create(string directory, string hostileMiniDll, string goodMiniDll)
    {
        string scriptDirectory = Path.Combine(Path.GetFullPath(directory), "script");
        string armDirectory = Path.Combine(Path.GetFullPath(directory), "arm");
        Directory.CreateDirectory(scriptDirectory);
        Directory.CreateDirectory(armDirectory);
        string dotnet = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        if (!File.Exists(dotnet))
        {
            dotnet = "dotnet";
        }

        foreach (string path in new[] { armDirectory, hostileMiniDll, goodMiniDll, dotnet })
        {
            if (path.Contains('\'', StringComparison.Ordinal))
            {
                throw new ArgumentException($"A path with a quote cannot go into the script: {path}");
            }
        }

        string script = Path.Combine(scriptDirectory, "mini.sh");
        File.WriteAllText(script, $"""
            #!/bin/sh
            dir='{armDirectory}'
            if mv "$dir/attack" "$dir/attack.$$" 2>/dev/null; then
              set -- $(cat "$dir/attack.$$")
              exec '{dotnet}' '{hostileMiniDll}' "$@"
            fi
            exec '{dotnet}' '{goodMiniDll}'

            """);
        if (!OperatingSystem.IsWindows())
        {
            // Read and execute for its owner only: the processes that run it are the host's own user.
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        return new HostileMiniScript(armDirectory, script, [Path.GetDirectoryName(Path.GetFullPath(hostileMiniDll))!, Path.GetDirectoryName(Path.GetFullPath(goodMiniDll))!]);
    }

    /// <summary>Makes the next process the host starts run <paramref name="attack"/> with <paramref name="arguments"/>.</summary>
    /// <param name="attack">The attack's name (see the hostile mini's Program.cs).</param>
    /// <param name="arguments">Its arguments, without spaces.</param>
    public void Arm(string attack, params string[] arguments)
    {
        string line = string.Join(' ', [attack, .. arguments]);
        string temporary = Path.Combine(this.armDirectory, "attack.new");
        File.WriteAllText(temporary, line + "\n");
        File.Move(temporary, Path.Combine(this.armDirectory, "attack"), overwrite: true);
    }
}
