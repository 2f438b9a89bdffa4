namespace IpcBroker.EndToEnd.Tests;

/// <summary>What the well-behaved mini program got from the host during an attack: calls, failures, latencies.</summary>
public sealed class GoodService
{
    private readonly List<TimeSpan> latencies = [];

    /// <summary>Gets how many calls were made.</summary>
    public int Calls => this.latencies.Count;

    /// <summary>Gets how many of them failed.</summary>
    public int Failures { get; private set; }

    /// <summary>Records one call.</summary>
    public void Add(IpcResult result, TimeSpan latency)
    {
        this.latencies.Add(latency);
        if (!result.IsSuccess)
        {
            this.Failures++;
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        if (this.latencies.Count == 0)
        {
            return "no calls";
        }

        TimeSpan[] sorted = [.. this.latencies.Order()];
        return $"{this.Calls} calls, {this.Failures} failed, p50 {sorted[sorted.Length / 2].TotalMilliseconds:0.0} ms, max {sorted[^1].TotalMilliseconds:0.0} ms";
    }
}
