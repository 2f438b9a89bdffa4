using System.Diagnostics;
using System.Runtime.InteropServices;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Starts mini program processes and hands them their launch line over standard input.</summary>
internal sealed class MiniProcessLauncher(string executablePath, ILogger logger)
{
    /// <summary>The dotnet host that runs framework-dependent apps, found from the running runtime's own location.</summary>
    private static readonly Lazy<string> DotnetHost = new(() =>
    {
        // RuntimeDirectory is <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        string candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    });

    /// <summary>Checks that the executable exists.</summary>
    /// <exception cref="IpcConfigurationException">When it does not.</exception>
    public void Validate()
    {
        if (!File.Exists(executablePath))
        {
            throw new IpcConfigurationException($"The mini program executable '{executablePath}' does not exist. Build the solution, or set MiniAppHostOptions.MiniExecutablePath.");
        }
    }

    /// <summary>Starts a process and writes its launch line; standard input then stays open as the host's lifeline.</summary>
    /// <param name="launch">The pending launch; its <see cref="PendingLaunch.ProcessId"/> is set before the secret is written.</param>
    /// <param name="launchInfo">The launch line's content.</param>
    /// <param name="stderrTail">Collects the child's last error lines, for start failures.</param>
    /// <returns>The started process.</returns>
    public Process Start(PendingLaunch launch, MiniLaunchInfo launchInfo, StderrTail stderrTail)
    {
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (executablePath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            startInfo.FileName = DotnetHost.Value;
            startInfo.ArgumentList.Add(executablePath);
        }
        else
        {
            startInfo.FileName = executablePath;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        MiniAppKey key = launch.Key;
        int pid = 0;
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            stderrTail.Add(e.Data);
            Forward(e.Data);
        };
        process.Start();
        pid = process.Id;
        launch.ProcessId = pid;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            process.StandardInput.WriteLine(launchInfo.ToLine());
            process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // The child died at once; the start's wait sees it exit and reports its code and error lines.
        }

        return process;

        void Forward(string? line)
        {
            if (line is not null)
            {
                HostLog.ChildOutput(logger, key, pid, line);
            }
        }
    }
}
