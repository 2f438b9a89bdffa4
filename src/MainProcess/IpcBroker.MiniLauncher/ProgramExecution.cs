using System.Runtime.InteropServices;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// Step 7: replaces the launcher's image with the program, in the same process (same pid), with the environment
/// unchanged. Everything execve needs is prepared in native memory before the restrictions, so the last step touches
/// nothing but the call itself.
/// </summary>
internal sealed unsafe class ProgramExecution
{
    private readonly string program;
    private readonly byte* path;
    private readonly byte** arguments;
    private readonly byte*** environment;

    private ProgramExecution(string program, byte* path, byte** arguments)
    {
        this.program = program;
        this.path = path;
        this.arguments = arguments;

        // libc's environ: the process's own environment block, exactly as the host built it. Looked up now, while
        // loading libraries is still unrestricted; read at exec time.
        this.environment = (byte***)NativeLibrary.GetExport(NativeLibrary.Load("libc.so.6"), "environ");
    }

    /// <summary>Prepares the call: argv[0] is <paramref name="program"/> as given; a name without '/' is found on PATH.</summary>
    /// <param name="program">The program.</param>
    /// <param name="programArguments">Its arguments after argv[0].</param>
    /// <returns>The prepared call.</returns>
    public static ProgramExecution Prepare(string program, IReadOnlyList<string> programArguments)
    {
        string resolved = program.Contains('/', StringComparison.Ordinal) ? program : FindOnPath(program) ?? program;
        return new ProgramExecution(program, NativeStrings.Copy(resolved), NativeStrings.CopyArray([program, .. programArguments]));
    }

    /// <summary>Executes the program; returns only by throwing.</summary>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Exec"/>.</exception>
    public void Execute()
    {
        _ = Libc.Execve(this.path, this.arguments, *this.environment);
        throw new LaunchStepException(LauncherExitCode.Exec, $"execve {this.program}: {Libc.LastError()}");
    }

    private static string? FindOnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
