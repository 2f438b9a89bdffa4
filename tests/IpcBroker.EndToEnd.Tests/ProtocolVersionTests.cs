using System.Diagnostics;
using System.Security.Cryptography;
using IpcBroker.HostileMini;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MiniProcess;
using IpcBroker.Sessions;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// A host and a mini process built from different package versions (issue 10, point 9): each refuses the other's
/// protocol version at once, naming both, on both sides; neither waits for a timeout.
/// </summary>
public sealed class ProtocolVersionTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task AMiniProcessOfTheVersionBeforeIsRefusedAndItsStartFailsNamingBoth()
    {
        string scratch = Path.Combine(Path.GetTempPath(), "ipcb-version-" + Guid.NewGuid().ToString("N")[..12]);
        using var cleanup = new DirectoryRemoval(scratch);
        var script = HostileMiniScript.Create(scratch, FaultTests.HostileMiniPath, TestMiniAppPath);
        this.StartHost(new MiniAppHostOptions
        {
            MiniExecutablePath = script.ScriptPath,
            Sandbox = new MiniSandboxOptions { ReadOnlyPaths = script.ReadOnlyPaths, ReadWritePaths = script.ReadWritePaths },

            // No spare: the script decides at a process's start which attack it runs, and a spare starts before it is armed.
            SpareProcesses = 0,

            // Far beyond the test's own budget: a start that waited for its timeout would fail the test by that budget.
            StartTimeout = TimeSpan.FromMinutes(10),
        });
        script.Arm("hello-version", "2");

        var ex = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-old", MiniAppVerType.Release, this.TimeoutToken)));

        string expected = Handshake.DescribeVersionMismatch(Handshake.ProtocolVersion, 2);
        Assert.Contains("version 3", expected);
        Assert.Contains("version 2", expected);
        Assert.Contains("could not connect: " + expected, ex.Message);
        await this.WaitForLogAsync(r => r.EventId == 2002 && r.Message.Contains(expected, StringComparison.Ordinal));

        // What the mini process was told, from its own standard error.
        await this.WaitForLogAsync(r => r.Message.Contains($"{FaultEvents.LogPrefix} hello-version 2: refused (VersionMismatch)", StringComparison.Ordinal) && r.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AMiniProcessGivenALaunchLineOfAnotherVersionExitsNamingBoth()
    {
        var launch = new MiniLaunchInfo("/nonexistent/host.sock", Convert.ToBase64String(RandomNumberGenerator.GetBytes(Handshake.SecretBytes)), "wx-new", MiniAppVerType.Release, Handshake.ProtocolVersion + 1, Environment.ProcessId);
        var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { ArgumentList = { TestMiniAppPath }, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process mini = Process.Start(startInfo)!;
        this.TrackPid(mini.Id);
        Task<string> stdout = mini.StandardOutput.ReadToEndAsync(this.TimeoutToken);
        Task<string> stderr = mini.StandardError.ReadToEndAsync(this.TimeoutToken);

        // Standard input stays open: the process exits on its own, not because its lifeline ended.
        await mini.StandardInput.WriteLineAsync(launch.ToLine());
        await mini.StandardInput.FlushAsync(this.TimeoutToken);
        await this.WithTimeoutAsync(mini.WaitForExitAsync(this.TimeoutToken));

        string said = await this.WithTimeoutAsync(stdout) + await this.WithTimeoutAsync(stderr);
        this.Output.WriteLine(said);
        Assert.Equal(MiniProcessRuntime.ExitConnectFailed, mini.ExitCode);
        Assert.Contains(Handshake.DescribeVersionMismatch(Handshake.ProtocolVersion + 1, Handshake.ProtocolVersion), said.ReplaceLineEndings(" "));
    }

    /// <summary>Removes a scratch directory when the test ends, pass or fail.</summary>
    private sealed class DirectoryRemoval(string path) : IDisposable
    {
        public void Dispose()
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }
}
