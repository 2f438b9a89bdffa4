using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>A spare that has already ended when the host records it is replaced like any spare that ends.</summary>
public sealed class SpareReplenishTests(ITestOutputHelper output) : HostTestBase(output)
{
    /// <summary>
    /// The host records a started spare and starts its exit watch under its lock; a process that ended already (a mini
    /// executable that dies at once, a preempted host thread) makes the watch run to its end there, while the start that
    /// launched it still counts as under way: the watch's replenish then sees no spare missing, and the start, which kept its
    /// spare, starts none either. The host is left with no spare and no start for good.
    /// </summary>
    [Fact]
    public async Task ASpareThatEndedBeforeItWasRecordedIsStillReplaced()
    {
        var transport = new SpareTransport();
        MiniAppHost host = MiniAppHost.StartWithTransport(this.MainRegistry, new MiniAppHostOptions(), this.LoggerFactory, transport);
        try
        {
            // StartWithTransport starts no spare by itself (Start does): as Start does, under the host's lock.
            object gate = typeof(MiniAppHost).GetField("gate", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(host)!;
            MethodInfo replenish = typeof(MiniAppHost).GetMethod("ReplenishSparesLocked", BindingFlags.NonPublic | BindingFlags.Instance)!;
            lock (gate)
            {
                replenish.Invoke(host, null);
            }

            // The first spare has ended by the time it is returned; a second must be started in its place.
            await this.WithTimeoutAsync(transport.SecondLaunch.Task);
            await this.WithTimeoutAsync(host.WhenSparesReadyAsync(this.TimeoutToken));
        }
        finally
        {
            await this.WithTimeoutAsync(host.DisposeAsync().AsTask());
        }
    }

    private sealed class SpareTransport : IMiniProcessTransport
    {
        private int launches;

        public TaskCompletionSource SecondLaunch { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Address => "fake";

        public MiniProcessProtections Protections { get; } = new(0, false, false, false, "none", false, ["fake"]);

        public bool SupportsSpares => true;

        public IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory) => throw new NotSupportedException();

        public SpareLaunch LaunchSpare()
        {
            int launch = Interlocked.Increment(ref this.launches);
            if (launch >= 2)
            {
                this.SecondLaunch.TrySetResult();
            }

            // The first has already ended (its exit reaped and its output read) when the host gets it.
            var process = new FakeProcess(4_100_000 + launch, ended: launch == 1);
            return new SpareLaunch(process, Task.CompletedTask);
        }

        public Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FakeProcess : IMiniProcess
    {
        private readonly TaskCompletionSource exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeProcess(int pid, bool ended)
        {
            this.ProcessId = pid;
            if (ended)
            {
                this.exit.SetResult();
            }
        }

        public int ProcessId { get; }

        public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

        public MiniProcessSandbox? Sandbox => null;

        public Task Exited => this.exit.Task;

        public int ExitCode => 1;

        public Task StopAsync(TimeSpan shutdownTimeout, TimeSpan reapTimeout, ILogger logger)
        {
            this.exit.TrySetResult();
            return Task.CompletedTask;
        }

        public void Kill() => this.exit.TrySetResult();

        public void Release()
        {
        }
    }
}
