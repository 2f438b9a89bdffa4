using System.Diagnostics;
using System.Runtime.InteropServices;
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

    /// <summary>Starts a mini program process; it waits for a launch line on its standard input, which stays open as its lifeline.</summary>
    /// <param name="lastKey">Whom the process is started for, for its log lines.</param>
    /// <returns>The started process.</returns>
    public MiniProcessHandle Start(Func<MiniAppKey> lastKey)
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
        var stderrTail = new StderrTail();
        int pid = 0;
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            stderrTail.Add(e.Data);
            Forward(e.Data);
        };
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        process.Start();
        pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new MiniProcessHandle(process, stderrTail, startedAt);

        void Forward(string? line)
        {
            if (line is not null)
            {
                HostLog.ChildOutput(logger, lastKey(), pid, line);
            }
        }
    }
}
