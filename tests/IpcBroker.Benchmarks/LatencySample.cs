using System.Diagnostics;

namespace IpcBroker.Benchmarks;

/// <summary>Round-trip times of one measured round, in microseconds.</summary>
internal sealed class LatencySample(string name, List<double> micros, TimeSpan wall)
{
    public string Name { get; } = name;

    public int Calls => micros.Count;

    public double P50 => this.Percentile(0.50);

    public double P90 => this.Percentile(0.90);

    public double P99 => this.Percentile(0.99);

    public double Mean => micros.Average();

    public double CallsPerSecond => micros.Count / wall.TotalSeconds;

    public double Percentile(double p)
    {
        List<double> sorted = [.. micros];
        sorted.Sort();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }

    /// <summary>
    /// Calls <paramref name="call"/> one after another for <paramref name="duration"/>, and at least
    /// <paramref name="minimumCalls"/> times, and times each.
    /// </summary>
    public static async Task<LatencySample> MeasureForAsync(string name, Func<Task> call, TimeSpan duration, int minimumCalls = 1)
    {
        var micros = new List<double>();
        var wall = Stopwatch.StartNew();
        while (wall.Elapsed < duration || micros.Count < minimumCalls)
        {
            long start = Stopwatch.GetTimestamp();
            await call();
            micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return new LatencySample(name, micros, wall.Elapsed);
    }

    public override string ToString() => $"{this.Name,-34} {this.Calls,7} calls  p50 {this.P50,8:0.0} µs  p99 {this.P99,8:0.0} µs  mean {this.Mean,8:0.0} µs  {this.CallsPerSecond,8:0} calls/s";
}
