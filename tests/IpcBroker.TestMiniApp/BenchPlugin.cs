using System.Diagnostics;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;

namespace IpcBroker.TestMiniApp;

/// <summary>The benchmark's mini-side plugin: an echo, and a driver of calls to the main process from inside this process.</summary>
[IpcMiniPlugin]
public sealed class BenchPlugin(ClientHolder holder)
{
    /// <summary>Answers with the request's bundle.</summary>
    [IpcEvent(BenchPayload.Echo)]
    public Bundle Echo(IpcRequest request) => request.Data;

    /// <summary>
    /// Calls the main process's <c>bench.echo</c> with <c>inFlight</c> calls at once (default 1) until <c>calls</c> calls
    /// have been answered or <c>seconds</c> have passed (default 2), each with the small bundle, or with a byte array of
    /// <c>bytes</c> bytes when given; answers with the count, the elapsed seconds and the latency percentiles in µs.
    /// </summary>
    [IpcEvent(BenchPayload.Drive)]
    public async Task<Bundle> DriveAsync(IpcRequest request)
    {
        MiniProcessClient client = await holder.Client;
        int calls = request.Data.GetInt("calls", int.MaxValue);
        TimeSpan window = TimeSpan.FromSeconds(request.Data.GetDouble("seconds", 2));
        int inFlight = Math.Max(1, request.Data.GetInt("inFlight", 1));
        int bytes = request.Data.GetInt("bytes");
        Bundle payload = bytes > 0 ? BenchPayload.Blob(bytes) : BenchPayload.Small();
        int started = 0, failures = 0;
        var clock = Stopwatch.StartNew();
        async Task<List<double>> WorkerAsync()
        {
            var micros = new List<double>();
            while (clock.Elapsed < window && Interlocked.Increment(ref started) <= calls)
            {
                long start = Stopwatch.GetTimestamp();
                IpcResult result = await client.CallMainProcessPluginAsync(BenchPayload.Echo, payload, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(50) });
                micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                if (!result.IsSuccess)
                {
                    Interlocked.Increment(ref failures);
                }
            }

            return micros;
        }

        List<double>[] perWorker = await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(WorkerAsync)));
        double elapsed = clock.Elapsed.TotalSeconds;
        double[] all = [.. perWorker.SelectMany(m => m).Order()];
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new Bundle()
            .PutInt("count", all.Length)
            .PutInt("failures", failures)
            .PutDouble("seconds", elapsed)
            .PutDouble("p50", Percentile(0.50))
            .PutDouble("p90", Percentile(0.90))
            .PutDouble("p99", Percentile(0.99));
    }
}
