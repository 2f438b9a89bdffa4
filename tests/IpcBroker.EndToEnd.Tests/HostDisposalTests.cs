using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Platform;
using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>Disposing the host ends its processes and removes its pipe, once; disposing again is harmless.</summary>
public class HostDisposalTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public async Task DisposingEndsTheProcessesAndRemovesThePipeAndASecondDisposeIsHarmless()
    {
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-dispose");
        string pipe = this.Host.PipePath;
        Assert.True(File.Exists(pipe));

        await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());
        await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());

        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(mini.ProcessId);
        Assert.True(exit.StoppedByHost);
        Assert.False(IsAlive(mini.ProcessId));
        Assert.False(File.Exists(pipe));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => this.Host.StartMiniAppAsync("wx-dispose-2", MiniAppVerType.Release, this.TimeoutToken));
    }

    [Fact]
    public async Task ASecondDisposeWhileTheFirstRunsWaitsForIt()
    {
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-dispose-twice");
        string pipe = this.Host.PipePath;

        ValueTask first = this.Host.DisposeAsync();
        await this.WithTimeoutAsync(this.Host.DisposeAsync().AsTask());

        // Whoever disposes, the host is gone when its dispose returns.
        Assert.False(File.Exists(pipe));
        Assert.Contains(this.Exits, e => e.ProcessId == mini.ProcessId);
        await this.WithTimeoutAsync(first.AsTask());
    }

    /// <summary>When disposing the transport throws, the mini programs are stopped all the same, and the failure surfaces.</summary>
    [Fact]
    public async Task WhenDisposingTheTransportThrowsTheMiniProgramsAreStoppedAllTheSame()
    {
        (MiniAppHost host, FaultyTransport transport) = this.StartOnFaultyTransport();
        transport.DisposeThrows = true;
        MiniAppInfo info = await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-faulty-dispose", cancellationToken: this.TimeoutToken));
        this.TrackPid(info.ProcessId);

        await Assert.ThrowsAsync<IOException>(() => this.WithTimeoutAsync(host.DisposeAsync().AsTask()));
        Assert.Empty(host.ProcessIds);
        Assert.False(IsAlive(info.ProcessId));
    }

    /// <summary>Disposal revokes a start still waiting for its connection: it fails at once, not at its start timeout.</summary>
    [Fact]
    public async Task DisposingFailsAStartStillConnectingAtOnce()
    {
        (MiniAppHost host, FaultyTransport transport) = this.StartOnFaultyTransport();
        transport.ConnectOnlyWaitsForRevocation = true;
        Task<MiniAppInfo> start = host.StartMiniAppAsync("wx-never-connects", cancellationToken: this.TimeoutToken);
        await this.WithTimeoutAsync(transport.Connecting.Task);
        foreach (int pid in host.ProcessIds)
        {
            this.TrackPid(pid);
        }

        await this.WithTimeoutAsync(host.DisposeAsync().AsTask());
        Exception failed = await Assert.ThrowsAnyAsync<Exception>(() => this.WithTimeoutAsync(start));
        Assert.True(failed is MiniAppStartException or ObjectDisposedException, failed.ToString());
        Assert.Empty(host.ProcessIds);
    }

    private (MiniAppHost Host, FaultyTransport Transport) StartOnFaultyTransport()
    {
        var options = new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, StartTimeout = TimeSpan.FromMinutes(10) };
        var inner = new PipeMiniProcessTransport(options, HostPlatform.Current.CreatePrivateSocketPath(null), NullLoggerFactory.Instance);
        inner.Start();
        var transport = new FaultyTransport(inner);
        return (MiniAppHost.StartWithTransport(this.MainRegistry, options, this.LoggerFactory, transport), transport);
    }

    /// <summary>The real transport, with a dispose that throws after doing its work, or a connect that waits only for its revocation.</summary>
    private sealed class FaultyTransport(PipeMiniProcessTransport inner) : IMiniProcessTransport
    {
        public bool DisposeThrows { get; set; }

        public bool ConnectOnlyWaitsForRevocation { get; set; }

        public TaskCompletionSource Connecting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Address => inner.Address;

        public MiniProcessProtections Protections => inner.Protections;

        public IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory) => inner.Launch(key, sandboxDirectory);

        public async Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked)
        {
            if (!this.ConnectOnlyWaitsForRevocation)
            {
                return await inner.ConnectAsync(process, key, sandboxDirectory, revoked);
            }

            this.Connecting.TrySetResult();
            await Task.Delay(Timeout.Infinite, revoked);
            throw new InvalidOperationException("unreachable");
        }

        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            if (this.DisposeThrows)
            {
                throw new IOException("the transport failed to close");
            }
        }
    }
}
