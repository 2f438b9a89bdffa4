using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Starts mini program processes and hands them their launch line over standard input.</summary>
/// <param name="executablePath">The mini program executable.</param>
/// <param name="options">The host's settings: the caps of the children's output.</param>
/// <param name="childOutputLogger">Where the children's output lines go (their own category, at Debug).</param>
internal sealed class MiniProcessLauncher(string executablePath, MiniAppHostOptions options, ILogger childOutputLogger)
{
    /// <summary>The dotnet host that runs framework-dependent apps, found from the running runtime's own location.</summary>
    private static readonly Lazy<string> DotnetHost = new(() =>
    {
        // RuntimeDirectory is <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        string candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    });

    /// <summary>Checks that the executable exists and the output caps make sense.</summary>
    /// <exception cref="IpcConfigurationException">When they do not.</exception>
    public void Validate()
    {
        if (!File.Exists(executablePath))
        {
            throw new IpcConfigurationException($"The mini program executable '{executablePath}' does not exist. Build the solution, or set MiniAppHostOptions.MiniExecutablePath.");
        }

        if (options.ChildOutputMaxLineLength < 16 || options.ChildOutputLinesPerSecond < 0)
        {
            throw new IpcConfigurationException($"ChildOutputMaxLineLength must be at least 16 and ChildOutputLinesPerSecond at least 0, not {options.ChildOutputMaxLineLength} and {options.ChildOutputLinesPerSecond}.");
        }
    }

    /// <summary>Starts a mini program process; it waits for a launch line on its standard input, which stays open as its lifeline.</summary>
    /// <param name="lastKey">Whom the process is started for, for its log lines.</param>
    /// <returns>The started process.</returns>
    /// <remarks>
    /// Its standard output and error are read from the raw streams by <see cref="ChildOutputReader"/> (bounded lines), logged
    /// through a <see cref="ChildOutputLog"/> (rate limited), and standard error also feeds the <see cref="StderrTail"/>.
    /// </remarks>
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
        var log = new ChildOutputLog(childOutputLogger, lastKey, options.ChildOutputLinesPerSecond, options.ChildOutputRateWindow);
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        process.Start();
        log.ProcessId = process.Id;
        Task stdout = ChildOutputReader.PumpAsync(process.StandardOutput.BaseStream, options.ChildOutputMaxLineLength, line => log.Write("stdout", line));
        Task stderr = ChildOutputReader.PumpAsync(process.StandardError.BaseStream, options.ChildOutputMaxLineLength, line =>
        {
            stderrTail.Add(line);
            log.Write("stderr", line);
        });
        return new MiniProcessHandle(process, stderrTail, startedAt, DrainAsync(stdout, stderr, log));
    }

    private static async Task DrainAsync(Task stdout, Task stderr, ChildOutputLog log)
    {
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        log.Complete();
    }
}
