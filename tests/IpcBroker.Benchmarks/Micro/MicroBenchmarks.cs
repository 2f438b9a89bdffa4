using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace IpcBroker.Benchmarks.Micro;

/// <summary>
/// The in-process pieces of a call, measured by BenchmarkDotNet with its memory diagnoser: the bundle codec, the event
/// registry's checks, and a whole call over an in-memory duplex pair, the broker against the bare StreamJsonRpc +
/// MessagePack stack under it (over the same kind of stream, and over a MultiplexingStream channel as the broker uses).
/// </summary>
/// <remarks>
/// Runs in this process (InProcessEmitToolchain): no child build, so a full run takes minutes, not tens of minutes.
/// <c>micro --short</c> takes a quick job (few iterations) for the <c>all</c> run; any other arguments go to
/// BenchmarkDotNet (<c>--filter *Call*</c>, <c>--list flat</c>, ...). With no <c>--filter</c>, every benchmark runs.
/// </remarks>
public static class MicroBenchmarks
{
    /// <summary>Runs the suite.</summary>
    /// <param name="args">BenchmarkDotNet's arguments, plus <c>--short</c> for a quick job.</param>
    /// <returns>0 when every benchmark ran, 1 otherwise.</returns>
    public static int Run(string[] args)
    {
        bool quick = args.Contains("--short");
        args = [.. args.Where(a => a != "--short")];
        if (!args.Any(a => a.StartsWith("--filter", StringComparison.Ordinal) || a.StartsWith("--list", StringComparison.Ordinal)))
        {
            args = [.. args, "--filter", "*"];
        }

        Job job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
        job = quick
            ? job.WithWarmupCount(2).WithIterationCount(5).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)).WithId("short")
            : job.WithWarmupCount(4).WithIterationCount(12).WithId("micro");
        IConfig config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.JoinSummary);
        IEnumerable<BenchmarkDotNet.Reports.Summary> summaries = BenchmarkSwitcher
            .FromTypes([typeof(BundleCodecBenchmarks), typeof(EventRegistryBenchmarks), typeof(CallBenchmarks)])
            .Run(args, config);
        return summaries.Any() && summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.All(r => r.Success)) ? 0 : 1;
    }
}
