using System.Diagnostics;
using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using IpcBroker.Sessions;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The first benchmark of this project (kept as it was): round-trip latency of a small call, the broker (host -> mini
/// process -> host) against a raw named-pipe echo between two processes, interleaved, several rounds; then the time from
/// a start to the first answered call, alone and at the cap.
/// </summary>
internal static class RoundTripBenchmark
{
    /// <summary>The command that runs this benchmark.</summary>
    public const string Command = "dotnet run -c Release --project tests/IpcBroker.Benchmarks -- [calls-per-round] [rounds]";

    public static async Task<int> RunAsync(string[] args)
    {
        int callsPerRound = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
        int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        string miniApp = typeof(LatencySample).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestMiniAppPath").Value!;

        Console.WriteLine($"IpcBroker round-trip benchmark: {callsPerRound} calls per round, {rounds} rounds, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        string scratch = Path.GetDirectoryName(PipeLocation.CreatePrivateSocketPath())!;
        (Process rawServer, System.IO.Pipes.NamedPipeClientStream rawPipe) = await RawPipeEcho.StartAsync(scratch);
        await using MiniAppHost host = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = miniApp });
        MiniAppInfo mini = await host.StartMiniAppAsync("bench");
        try
        {
            // The same small request both ways: the broker sends a one-entry bundle; the raw echo a frame of the same size.
            Bundle request = new Bundle().PutInt("n", 42);
            byte[] rawMessage = new byte[4 + 16];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(rawMessage, 16);
            byte[] rawReply = new byte[rawMessage.Length];

            async Task BrokerCallAsync()
            {
                IpcResult result = await host.CallMiniProcessPluginAsync("bench", "test.echo", request);
                if (!result.IsSuccess)
                {
                    throw new InvalidOperationException(result.ToString());
                }
            }

            Task RawCallAsync() => RawPipeEcho.RoundTripAsync(rawPipe, rawMessage, rawReply);

            // A fresh process needs a second or two of calls before tiered JIT settles: report the first second on its own.
            Console.WriteLine(await MeasureForAsync("broker, first second (cold)", BrokerCallAsync, TimeSpan.FromSeconds(1)));
            Console.WriteLine(await MeasureForAsync("raw pipe echo, first second (cold)", RawCallAsync, TimeSpan.FromSeconds(1)));
            await MeasureForAsync("warm-up", BrokerCallAsync, TimeSpan.FromSeconds(2));
            await MeasureForAsync("warm-up", RawCallAsync, TimeSpan.FromSeconds(2));

            var raw = new List<LatencySample>();
            var broker = new List<LatencySample>();
            for (int round = 1; round <= rounds; round++)
            {
                raw.Add(await MeasureCallsAsync($"raw pipe echo, round {round}", RawCallAsync, callsPerRound));
                Console.WriteLine(raw[^1]);
                broker.Add(await MeasureCallsAsync($"broker call, round {round}", BrokerCallAsync, callsPerRound));
                Console.WriteLine(broker[^1]);
            }

            double Median(IEnumerable<double> values)
            {
                double[] sorted = [.. values.Order()];
                return sorted[sorted.Length / 2];
            }

            double rawP50 = Median(raw.Select(s => s.P50)), rawP99 = Median(raw.Select(s => s.P99));
            double brokerP50 = Median(broker.Select(s => s.P50)), brokerP99 = Median(broker.Select(s => s.P99));
            Console.WriteLine();
            Console.WriteLine($"median of rounds  raw pipe echo: p50 {rawP50:0.0} µs, p99 {rawP99:0.0} µs");
            Console.WriteLine($"median of rounds  broker call:   p50 {brokerP50:0.0} µs, p99 {brokerP99:0.0} µs");
            Console.WriteLine($"ratio broker/raw: p50 {brokerP50 / rawP50:0.0}x, p99 {brokerP99 / rawP99:0.0}x, throughput {Median(raw.Select(s => s.CallsPerSecond)) / Median(broker.Select(s => s.CallsPerSecond)):0.0}x fewer calls/s");

            // Lifecycle: a new process from StartMiniAppAsync to its first answered call, alone and at the cap of 1 (where the
            // running mini program is stopped first and the newcomer gets a new process in its slot).
            await host.StopAllMiniAppAsync();
            var fresh = new List<double>();
            var atCap = new List<double>();
            await using (MiniAppHost capped = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = miniApp, MaxMiniProcesses = 1 }))
            {
                for (int i = 0; i < 5; i++)
                {
                    var clock = Stopwatch.StartNew();
                    await capped.StartMiniAppAsync($"fresh-{i}");
                    IpcResult first = await capped.CallMiniProcessPluginAsync($"fresh-{i}", "test.echo", request);
                    fresh.Add(clock.Elapsed.TotalMilliseconds);

                    clock.Restart();
                    await capped.StartMiniAppAsync($"at-cap-{i}");
                    IpcResult afterSwap = await capped.CallMiniProcessPluginAsync($"at-cap-{i}", "test.echo", request);
                    atCap.Add(clock.Elapsed.TotalMilliseconds);
                    if (!first.IsSuccess || !afterSwap.IsSuccess)
                    {
                        throw new InvalidOperationException($"{first} / {afterSwap}");
                    }

                    await capped.StopAllMiniAppAsync();
                }
            }

            Console.WriteLine($"start a mini process and make its first call: median {Median(fresh):0} ms of 5 ({string.Join(", ", fresh.Select(f => f.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))})");
            Console.WriteLine($"at the cap, stop the running mini program, start a new process for another and make its first call: median {Median(atCap):0} ms of 5 ({string.Join(", ", atCap.Select(f => f.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))})");
            return 0;
        }
        finally
        {
            try
            {
                await RawPipeEcho.StopAsync(rawServer, rawPipe);
            }
            finally
            {
                await host.StopAllMiniAppAsync();
                PipeLocation.Delete(Path.Combine(scratch, "raw.sock"));
            }
        }
    }

    private static async Task<LatencySample> MeasureCallsAsync(string name, Func<Task> call, int count)
    {
        var micros = new List<double>(count);
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await call();
            micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return new LatencySample(name, micros, wall.Elapsed);
    }

    private static Task<LatencySample> MeasureForAsync(string name, Func<Task> call, TimeSpan duration) => LatencySample.MeasureForAsync(name, call, duration);
}
