using System.Globalization;
using System.Text.Json;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.TestMiniApp;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The host's memory, in a process of its own (run as <c>memory-probe FILE</c> by the suite, so that nothing else the
/// suite did is in it): resident memory with no mini process, then per idle connection — the growth of its VmRSS (and of
/// its managed heap, for reference) from one idle mini process open (which paid for the connection path's code) to as
/// many as the default cap allows, divided by the added count.
/// </summary>
internal static class MemoryProbe
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1.5);

    public static async Task<int> RunAsync(string outputPath)
    {
        string miniApp = BenchmarkRun.Metadata("TestMiniAppPath");
        int self = Environment.ProcessId;
        var figures = new Dictionary<string, double>(StringComparer.Ordinal);

        // The host app's defaults (but room for 8 mini processes). The first mini process pays for the
        // code of the connection path (JIT, pools): it is the baseline, and the others count per connection.
        int connections = new MiniAppHostOptions().MaxMiniProcesses - 1;
        await using MiniAppHost host = BrokerScenarios.StartHost(miniApp, spares: new MiniAppHostOptions().SpareProcesses);
        try
        {
            await SettleAsync(host);
            figures["host.idle.rssMiB"] = ProcStats.RssKiB(self) / 1024.0;
            await BrokerScenarios.OpenToFirstCallAsync(host, "idle-first");
            await SettleAsync(host);
            long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
            long rssBefore = ProcStats.RssKiB(self);
            for (int i = 0; i < connections; i++)
            {
                await BrokerScenarios.OpenToFirstCallAsync(host, $"idle-{i}");
            }

            await SettleAsync(host);
            long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
            long rssAfter = ProcStats.RssKiB(self);
            figures["host.perConnection.rssMiB"] = (rssAfter - rssBefore) / 1024.0 / connections;
            figures["host.perConnection.managedMiB"] = (managedAfter - managedBefore) / 1024.0 / 1024.0 / connections;
            figures["host.perConnection.count"] = connections;
        }
        finally
        {
            await host.StopAllMiniAppAsync();
        }

        await File.WriteAllTextAsync(outputPath, JsonSerializer.Serialize(figures));
        Console.WriteLine(string.Join(", ", figures.Select(f => $"{f.Key} {f.Value.ToString("0.###", CultureInfo.InvariantCulture)}")));
        return 0;
    }

    /// <summary>Lets the host's spares get ready and its memory settle after a start.</summary>
    private static async Task SettleAsync(MiniAppHost host)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.WhenSparesReadyAsync(deadline.Token);
        await Task.Delay(Settle);
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
