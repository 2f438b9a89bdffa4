using System.Diagnostics;
using System.Text;

namespace IpcBroker.Packaging.Tests;

/// <summary>
/// Runs one command to its end with a deadline of its own, collecting its output; a command still running at the
/// deadline (or when the test is cancelled) is killed, with its children.
/// </summary>
internal static class ChildProcess
{
    /// <summary>The output and exit code of a finished command.</summary>
    internal sealed record Result(string Command, int ExitCode, string Output, TimeSpan Elapsed)
    {
        /// <summary>The command, its exit code and output, for an assertion's message.</summary>
        public override string ToString() => $"$ {this.Command}\nexit {this.ExitCode} after {this.Elapsed.TotalSeconds:F1} s\n{this.Output}";
    }

    /// <summary>The dotnet host that runs the tests (the same SDK builds the copies).</summary>
    internal static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Runs <paramref name="fileName"/> in <paramref name="workingDirectory"/> until it exits or <paramref name="deadline"/> passes.</summary>
    // tempDirectory: the child's TMPDIR, inside the test's own work directory, so whatever a killed child leaves in its
    // temp directory (a demo's data directory, a host's sandbox and pipe directories) goes with the work directory.
    // compilerServerId: the pipe name of a compiler server of the test's own, which the children's builds share (a cold
    // compiler per project would double the test's time); EndCompilerServers ends it by its pid.
    internal static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, string tempDirectory, TimeSpan deadline, string compilerServerId, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The outer `dotnet test` leaves MSBuild and test-platform variables that would steer the child's build; and no
        // child may leave a build server behind that the test does not end: no MSBuild nodes or server, and a compiler
        // server of the test's own.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "true";
        start.Environment["SharedCompilationId"] = compilerServerId;
        start.Environment["TMPDIR"] = tempDirectory;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        string command = fileName + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Append(output, $"[killed by the test: still running after {clock.Elapsed.TotalSeconds:F0} s (deadline {deadline.TotalSeconds:F0} s)]");
        }
        finally
        {
            // Through this Process object, which still holds the child: once it has exited and been reaped its pid may
            // already be another, unrelated process's, so a look-up by pid could kill a stranger's tree.
            EndIfRunning(process);
        }

        // The exit has been seen (or the process killed): the output readers end with the pipes, bounded all the same.
        using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(drained.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Append(output, "[its output did not end within 10 s of its exit]");
        }

        int exitCode = process.HasExited ? process.ExitCode : -1;
        lock (output)
        {
            return new Result(command, exitCode, output.ToString(), clock.Elapsed);
        }
    }

    /// <summary>
    /// Ends, by pid, every compiler server started for <paramref name="compilerServerId"/> (its command line names the
    /// pipe), and removes the pipe's socket file.
    /// </summary>
    internal static void EndCompilerServers(string compilerServerId)
    {
        // The build tools put the compiler server's Unix socket in /tmp itself, whatever TMPDIR says (a short path for
        // the socket's length limit); a killed server leaves it behind.
        try
        {
            EndCompilerServerProcesses(compilerServerId);
        }
        finally
        {
            File.Delete(Path.Combine("/tmp", compilerServerId));
        }
    }

    private static void EndCompilerServerProcesses(string compilerServerId)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }

            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (commandLine.Contains("VBCSCompiler", StringComparison.Ordinal) && commandLine.Contains(compilerServerId, StringComparison.Ordinal))
            {
                EndById(pid);
            }
        }
    }

    /// <summary>Kills <paramref name="process"/>, a child this test started, and its children, unless it has exited.</summary>
    private static void EndIfRunning(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    /// <summary>Kills the process <paramref name="pid"/> and its children, if it still runs.</summary>
    private static void EndById(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (ArgumentException)
        {
            // Already gone (and reaped).
        }
        catch (InvalidOperationException)
        {
            // Exited between the lookup and the kill.
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
