using IpcBroker.MainProcess.Hosting;

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
}
