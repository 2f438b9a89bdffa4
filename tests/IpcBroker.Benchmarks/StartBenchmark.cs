using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Plugins;

namespace IpcBroker.Benchmarks;

/// <summary>
/// What the sandbox costs a start: the time from <c>StartMiniAppAsync</c> to the answer of the first call, with the
/// sandbox off and on, against the floor — a bare .NET process (this executable as the raw echo server) from its start to
/// its first answered echo — interleaved in one run (the machine's load moves all three alike), after one round of each
/// that is not counted; medians over the rounds, and ratios to the floor.
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

        var times = new Dictionary<string, List<double>> { ["floor"] = [], ["off"] = [], ["sandboxed"] = [] };
        string scratch = Path.GetDirectoryName(IpcBroker.Sessions.PipeLocation.CreatePrivateSocketPath())!;
        try
        {
            await FloorAsync(scratch);
            for (int round = -1; round < rounds; round++)
            {
                double floor = await FloorAsync(scratch);
                if (round >= 0)
                {
                    times["floor"].Add(floor);
                }

                await StartAndCallAsync(off, $"start-off-{round}", round >= 0 ? times["off"] : null);
                await StartAndCallAsync(boxed, $"start-sandboxed-{round}", round >= 0 ? times["sandboxed"] : null);
            }
        }
        finally
        {
            IpcBroker.Sessions.PipeLocation.Delete(Path.Combine(scratch, "raw.sock"));
        }

        double floorMedian = Median([.. times["floor"].Order()]);
        foreach ((string name, List<double> samples) in times)
        {
            samples.Sort();
            Console.WriteLine($"{name,-10} median {Median(samples),7:0.0} ms   min {samples[0],7:0.0} ms   max {samples[^1],7:0.0} ms   {Median(samples) / floorMedian:0.00}x the floor");
        }

        double offMedian = Median(times["off"]), boxedMedian = Median(times["sandboxed"]);
        Console.WriteLine($"cost of the sandbox: {boxedMedian - offMedian:+0.0;-0.0} ms on the median start to first call ({boxedMedian / offMedian:0.00}x the unsandboxed start; {boxedMedian / floorMedian:0.00}x against {offMedian / floorMedian:0.00}x the floor)");
        return 0;
    }

    private static async Task StartAndCallAsync(MiniAppHost host, string appId, List<double>? times)
    {
        long started = Stopwatch.GetTimestamp();
        await host.StartMiniAppAsync(appId);
        IpcResult first = await host.CallMiniProcessPluginAsync(appId, "test.echo", new Bundle().PutInt("n", 1));
        double elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!first.IsSuccess)
        {
            throw new InvalidOperationException(first.ToString());
        }

        times?.Add(elapsed);
        await host.StopMiniAppAsync(appId);
    }

    /// <summary>The floor: a bare .NET process started, connected and answering its first raw echo.</summary>
    private static async Task<double> FloorAsync(string scratch)
    {
        byte[] message = new byte[4 + 16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(message, 16);
        byte[] reply = new byte[message.Length];
        long started = Stopwatch.GetTimestamp();
        (Process server, System.IO.Pipes.NamedPipeClientStream pipe) = await RawPipeEcho.StartAsync(scratch);
        try
        {
            await RawPipeEcho.RoundTripAsync(pipe, message, reply);
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        finally
        {
            await RawPipeEcho.StopAsync(server, pipe);
        }
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
