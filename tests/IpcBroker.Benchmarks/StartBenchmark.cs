using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Plugins;

namespace IpcBroker.Benchmarks;

/// <summary>
/// What the sandbox costs a start: the time from <c>StartMiniAppAsync</c> to the answer of the first call, with the
/// sandbox off and on, interleaved in one run (the machine's load moves both alike); medians over the rounds.
/// </summary>
internal static class StartBenchmark
{
    /// <summary>The command that runs this benchmark.</summary>
    public const string Command = "dotnet run -c Release --project tests/IpcBroker.Benchmarks -- start [rounds]";

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        string miniApp = typeof(StartBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestMiniAppPath").Value!;
        await using MiniAppHost off = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = miniApp, Sandbox = new MiniSandboxOptions { Mode = MiniSandboxMode.Off } });
        await using MiniAppHost boxed = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = miniApp });
        Console.WriteLine($"IpcBroker start benchmark: start to first call, {rounds} rounds, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"command: {Command}");
        Console.WriteLine($"sandbox: {boxed.Protections.Describe()}");

        var times = new Dictionary<string, List<double>> { ["off"] = [], ["sandboxed"] = [] };
        for (int round = 0; round < rounds; round++)
        {
            foreach ((string name, MiniAppHost host) in new[] { ("off", off), ("sandboxed", boxed) })
            {
                string appId = $"start-{name}-{round}";
                long started = Stopwatch.GetTimestamp();
                await host.StartMiniAppAsync(appId);
                IpcResult first = await host.CallMiniProcessPluginAsync(appId, "test.echo", new Bundle().PutInt("n", round));
                double elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!first.IsSuccess)
                {
                    throw new InvalidOperationException(first.ToString());
                }

                times[name].Add(elapsed);
                await host.StopMiniAppAsync(appId);
            }
        }

        foreach ((string name, List<double> samples) in times)
        {
            samples.Sort();
            Console.WriteLine($"{name,-10} median {Median(samples),7:0.0} ms   min {samples[0],7:0.0} ms   max {samples[^1],7:0.0} ms");
        }

        Console.WriteLine($"cost of the sandbox: {Median(times["sandboxed"]) - Median(times["off"]):+0.0;-0.0} ms on the median start to first call");
        return 0;
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
