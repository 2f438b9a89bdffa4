using System.Collections.Concurrent;
using IpcBroker.HostileMini;
using IpcBroker.MainProcess.Hosting;

namespace IpcBroker.Benchmarks;

/// <summary>
/// Keeps one hostile mini process flooding the host: starts it, says go, and when the host cuts it off, starts the
/// next at once. Samples the host's peak resident set meanwhile.
/// </summary>
internal sealed class Flooder(MiniAppHost host, HostileMiniScript script, ConcurrentDictionary<int, TaskCompletionSource> exits)
{
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes once the first flooder has been told to go.</summary>
    public Task Started => this.started.Task;

    /// <summary>Gets how many hostile processes were started.</summary>
    public int Processes { get; private set; }

    /// <summary>Gets how many of them the host cut off before the run ended.</summary>
    public int CutOffs { get; private set; }

    /// <summary>Gets the highest resident set seen while flooding, in bytes.</summary>
    public long PeakRss { get; private set; }

    /// <summary>Floods until <paramref name="stop"/> fires, then stops the last flooder.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _ = this.SampleAsync(stop);
        while (!stop.IsCancellationRequested)
        {
            string appId = $"bench-flood-{++this.Processes}";

            // 100 million calls: more than any run sends; the flood ends when the host cuts it off or the run ends.
            script.Arm("flood", "100000000");
            MiniAppInfo flooder = await host.StartMiniAppAsync(appId);
            TaskCompletionSource exited = exits.GetOrAdd(flooder.ProcessId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _ = host.CallMiniProcessPluginAsync(appId, FaultEvents.Go, null);
            this.started.TrySetResult();
            Task ended = await Task.WhenAny(exited.Task, Task.Delay(Timeout.Infinite, stop));
            if (ended == exited.Task)
            {
                this.CutOffs++;
                continue;
            }

            await host.StopMiniAppAsync(appId);
        }
    }

    private async Task SampleAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!stop.IsCancellationRequested)
        {
            this.PeakRss = Math.Max(this.PeakRss, FloodBenchmark.ResidentBytes());
            try
            {
                await timer.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
