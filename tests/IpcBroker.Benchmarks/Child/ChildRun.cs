using System.Diagnostics;
using System.Text;

namespace IpcBroker.Benchmarks;

/// <summary>Runs this executable with other arguments as a child process (a part that needs a clean process), with a deadline.</summary>
internal static class ChildRun
{
    /// <summary>Runs the child; returns its exit code (null when it ran out of time and was killed by its pid) and its output's last lines.</summary>
    public static async Task<(int? ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan deadline, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            startInfo.ArgumentList.Add(typeof(ChildRun).Assembly.Location);
        }

        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

        using Process child = Process.Start(startInfo)!;
        var tail = new Queue<string>();
        void Keep(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (tail)
            {
                tail.Enqueue(e.Data.Length > 300 ? e.Data[..300] : e.Data);
                if (tail.Count > 40)
                {
                    tail.Dequeue();
                }
            }
        }

        child.OutputDataReceived += Keep;
        child.ErrorDataReceived += Keep;
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        int? exitCode = null;
        try
        {
            await child.WaitForExitAsync().WaitAsync(deadline);
            exitCode = child.ExitCode;
        }
        catch (TimeoutException)
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }

        lock (tail)
        {
            return (exitCode, new StringBuilder().AppendJoin(Environment.NewLine, tail).ToString());
        }
    }
}
