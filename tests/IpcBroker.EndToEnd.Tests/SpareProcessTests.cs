using System.Diagnostics;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MiniProcess;
using IpcBroker.Sessions;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>Warm processes: the host keeps spare mini processes, binds an open to one when it may, replaces it, and backs off a mini executable that dies at start.</summary>
public class SpareProcessTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task ASpareIsListedApartAndAnOpenBindsItAndANewSpareReplacesIt()
    {
        this.StartHost();
        await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
        MiniSpareInfo spare = Assert.Single(this.Host.GetSpareProcesses());
        this.TrackPid(spare.ProcessId);
        Assert.True(spare.IsReady);
        Assert.True(IsAlive(spare.ProcessId));

        // Apart: not a running mini program, not counted in the cap.
        Assert.Empty(this.Host.ProcessIds);
        Assert.Empty(this.Host.RunningMiniApps);

        MiniAppInfo opened = await this.OpenAsync("wx-spare");
        Assert.Equal(spare.ProcessId, opened.ProcessId);
        IpcResult answer = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-spare", TestEvents.Count, null));
        Assert.True(answer.IsSuccess, answer.ErrorMessage);
        Assert.Equal(1, answer.Data.GetInt("count"));
        Assert.Equal([spare.ProcessId], this.Host.ProcessIds);

        // Replaced in the background.
        await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
        MiniSpareInfo next = Assert.Single(this.Host.GetSpareProcesses());
        this.TrackPid(next.ProcessId);
        Assert.NotEqual(spare.ProcessId, next.ProcessId);
        Assert.Contains(this.Logs.Records, r => r.EventId == 2102);
    }

    /// <summary>
    /// The launcher connects a spare's socket before the spare's runtime starts; the listener must not drop that connection at
    /// its handshake timeout while the spare waits for its launch line. With a 1 ms handshake timeout, it has passed long before
    /// the spare's runtime is up and says it is ready.
    /// </summary>
    [Fact]
    public async Task ASpareKeepsItsPreConnectedSocketPastTheHandshakeTimeout()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, HandshakeTimeout = TimeSpan.FromMilliseconds(1) });
        await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
        MiniSpareInfo spare = Assert.Single(this.Host.GetSpareProcesses());
        this.TrackPid(spare.ProcessId);

        MiniAppInfo opened = await this.OpenAsync("wx-spare-late");
        Assert.Equal(spare.ProcessId, opened.ProcessId);
        IpcResult answer = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-spare-late", TestEvents.Count, null));
        Assert.True(answer.IsSuccess, answer.ErrorMessage);
        Assert.DoesNotContain(this.Logs.Records, r => r.EventId == 2002 && r.Message.Contains("no hello", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnAppGrantedTheNetworkOrASandboxDirectoryStartsAProcessOfItsOwn(bool network)
    {
        string root = Path.Combine(Path.GetTempPath(), "spare-root-" + Guid.NewGuid().ToString("N"));
        try
        {
            this.StartHost(new MiniAppHostOptions
            {
                MiniExecutablePath = TestMiniAppPath,
                SandboxRoot = network ? null : root,
                Sandbox = new MiniSandboxOptions { NetworkAppIds = network ? new HashSet<string> { "wx-granted" } : new HashSet<string>() },
            });
            await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
            if (!network)
            {
                // With a SandboxRoot no spare is kept: none could be bound.
                Assert.Empty(this.Host.GetSpareProcesses());
                Assert.Contains(this.Logs.Records, r => r.EventId == 2110);
                Assert.NotEqual(0, (await this.OpenAsync("wx-granted")).ProcessId);
                return;
            }

            MiniSpareInfo spare = Assert.Single(this.Host.GetSpareProcesses());
            this.TrackPid(spare.ProcessId);

            MiniAppInfo opened = await this.OpenAsync("wx-granted");
            Assert.NotEqual(spare.ProcessId, opened.ProcessId);
            Assert.Equal(spare.ProcessId, Assert.Single(this.Host.GetSpareProcesses()).ProcessId);
            Assert.Contains(this.Logs.Records, r => r.EventId == 2106);
        }
        finally
        {
            await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>
    /// With a SandboxRoot every mini program has a directory of its own, which a spare's sandbox lacks and cannot be widened
    /// to: no open can ever bind a spare, so one kept would only hold a process and its memory for nothing.
    /// </summary>
    [Fact]
    public async Task WithASandboxRootTheHostKeepsNoSpareItCouldNeverBind()
    {
        string root = Path.Combine(Path.GetTempPath(), "spare-root-" + Guid.NewGuid().ToString("N"));
        try
        {
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SandboxRoot = root });
            await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
            foreach (MiniSpareInfo kept in this.Host.GetSpareProcesses())
            {
                this.TrackPid(kept.ProcessId);
            }

            Assert.Empty(this.Host.GetSpareProcesses());
            Assert.DoesNotContain(this.Logs.Records, r => r.EventId == 2100);
        }
        finally
        {
            await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public async Task DisposalEndsTheSpareThroughItsStandardInput()
    {
        this.StartHost();
        await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
        int pid = Assert.Single(this.Host.GetSpareProcesses()).ProcessId;
        this.TrackPid(pid);

        await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());

        Assert.False(IsAlive(pid));
        TestLogRecord stopped = Assert.Single(this.Logs.Records, r => r.EventId == 2108);
        Assert.Contains($"pid {pid}", stopped.Message);

        // It ended by itself on end-of-file (no launch line: exit code 2), not by the kill after the shutdown timeout.
        Assert.Contains($"exit code {MiniProcessRuntime.ExitBadLaunchInfo}", stopped.Message);
        Assert.DoesNotContain(this.Logs.Records, r => r.EventId == 2006);
        Assert.DoesNotContain(this.Exits, e => e.ProcessId == pid);
    }

    [Fact]
    public async Task ASpareSaysItIsReadyAndEndsAtEndOfStandardInput()
    {
        var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(TestMiniAppPath);
        startInfo.Environment[SpareProcessSignals.EnvironmentVariable] = "1";
        using Process spare = Process.Start(startInfo)!;
        this.TrackPid(spare.Id);

        string? line;
        do
        {
            line = await this.WithTimeoutAsync(spare.StandardOutput.ReadLineAsync(this.TimeoutToken).AsTask());
        }
        while (line is not null && line != SpareProcessSignals.ReadyLine);

        Assert.Equal(SpareProcessSignals.ReadyLine, line);
        Assert.False(spare.HasExited);
        spare.StandardInput.Close();
        await this.WithTimeoutAsync(spare.WaitForExitAsync(this.TimeoutToken));
        Assert.Equal(MiniProcessRuntime.ExitBadLaunchInfo, spare.ExitCode);
    }

    [Fact]
    public async Task AMiniExecutableThatDiesAtStartBacksOffInsteadOfLooping()
    {
        string directory = Path.Combine(Path.GetTempPath(), "spare-dies-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        string script = Path.Combine(directory, "dies.sh");
        File.WriteAllText(script, "#!/bin/sh\necho 'dying at start' >&2\nexit 7\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            // A first wait of a minute: no further start may come within this test once the back-off begins.
            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = script, StartFailuresBeforeBackOff = 3, StartBackOffFirst = TimeSpan.FromMinutes(1) });
            TestLogRecord backOff = await this.WithTimeoutAsync(this.Logs.WaitForAsync(r => r.EventId == 2104));
            Assert.Contains("3 times in a row", backOff.Message);
            Assert.Contains("exited with code 7", backOff.Message);
            Assert.Equal(3, this.Logs.Records.Count(r => r.EventId == 2100));

            // An open meanwhile is refused at once, saying why, and starts nothing.
            MiniAppStartException refused = await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-backoff", MiniAppVerType.Release, this.TimeoutToken)));
            Assert.Contains("died at start", refused.Message);
            Assert.Contains(this.Logs.Records, r => r.EventId == 2107);
            Assert.Equal(3, this.Logs.Records.Count(r => r.EventId == 2100));
            Assert.Empty(this.Host.ProcessIds);
            await AssertStillPendingAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
        }
        finally
        {
            await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task WithNoSparesTheHostStartsNone()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SpareProcesses = 0 });
        await this.WithTimeoutAsync(this.Host.WhenSparesReadyAsync(this.TimeoutToken));
        Assert.Empty(this.Host.GetSpareProcesses());

        MiniAppInfo opened = await this.OpenAsync("wx-no-spare");
        Assert.Equal([opened.ProcessId], this.Host.ProcessIds);
        Assert.Empty(this.Host.GetSpareProcesses());
        Assert.DoesNotContain(this.Logs.Records, r => r.EventId is >= 2100 and <= 2119);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(MiniAppHostOptions.MaxSpareProcesses + 1)]
    public void ASpareCountOutOfRangeIsRefusedAtStart(int spares)
    {
        IpcConfigurationException refused = Assert.Throws<IpcConfigurationException>(() => this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, SpareProcesses = spares }));
        Assert.Contains("SpareProcesses", refused.Message);
    }
}
