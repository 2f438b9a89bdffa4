using System.Diagnostics;

namespace IpcBroker.Benchmarks;

/// <summary>Calls answered in a window, and the CPU both processes spent on them (from <c>/proc</c>).</summary>
internal sealed record ThroughputSample(long Calls, double Seconds, double CpuSeconds)
{
    public double CallsPerSecond => this.Calls / this.Seconds;

    /// <summary>Gets the CPU time per call, in µs, of both processes together.</summary>
    public double CpuMicrosPerCall => this.CpuSeconds * 1e6 / this.Calls;

    /// <summary>
    /// Runs <paramref name="inFlight"/> callers of <paramref name="call"/> for <paramref name="window"/> and measures the
    /// CPU of <paramref name="pids"/> over it.
    /// </summary>
    public static async Task<ThroughputSample> MeasureAsync(Func<Task> call, int inFlight, TimeSpan window, params int[] pids)
    {
        long calls = 0;
        double cpuBefore = pids.Sum(ProcStats.CpuSeconds);
        var clock = Stopwatch.StartNew();
        async Task CallerAsync()
        {
            while (clock.Elapsed < window)
            {
                await call();
                Interlocked.Increment(ref calls);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(CallerAsync)));
        double seconds = clock.Elapsed.TotalSeconds;
        return new ThroughputSample(calls, seconds, pids.Sum(ProcStats.CpuSeconds) - cpuBefore);
    }

    /// <summary>Measures the CPU of <paramref name="pids"/> around <paramref name="run"/>, which reports its own calls and seconds.</summary>
    public static async Task<ThroughputSample> MeasureCpuAsync(Func<Task<(long Calls, double Seconds)>> run, params int[] pids)
    {
        double cpuBefore = pids.Sum(ProcStats.CpuSeconds);
        (long calls, double seconds) = await run();
        return new ThroughputSample(calls, seconds, pids.Sum(ProcStats.CpuSeconds) - cpuBefore);
    }
}
