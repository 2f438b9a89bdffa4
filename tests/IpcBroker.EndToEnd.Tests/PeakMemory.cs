using System.Globalization;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The highest managed heap and resident set this process (the host) reached while sampled.</summary>
public sealed class PeakMemory
{
    private long managed;
    private long rss;

    /// <summary>Gets the resident set of this process from /proc/self/status, in bytes.</summary>
    public static long ResidentBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>Gets the peak managed heap above <paramref name="baseline"/>.</summary>
    public long Managed(long baseline) => Math.Max(0, this.managed - baseline);

    /// <summary>Gets the peak resident set above <paramref name="baseline"/>.</summary>
    public long Rss(long baseline) => Math.Max(0, this.rss - baseline);

    /// <summary>Samples every 100 ms until <paramref name="stop"/> completes. A measurement, not a wait: nothing waits on it.</summary>
    public async Task SampleUntilAsync(Task stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!stop.IsCompleted)
        {
            this.managed = Math.Max(this.managed, GC.GetTotalMemory(forceFullCollection: false));
            this.rss = Math.Max(this.rss, ResidentBytes());
            await Task.WhenAny(stop, timer.WaitForNextTickAsync().AsTask());
        }
    }
}
