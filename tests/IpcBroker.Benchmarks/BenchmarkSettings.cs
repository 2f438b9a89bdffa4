using System.Globalization;

namespace IpcBroker.Benchmarks;

/// <summary>
/// What a run of the suite does: <c>all</c>, or one part (<c>latency</c>, <c>throughput</c>, <c>bulk</c>, <c>open</c>,
/// <c>memory</c>); how many rounds, how long each measuring window and warm-up, how many opens; whether <c>micro</c> runs.
/// </summary>
internal sealed record BenchmarkSettings(string Verb, int Rounds, TimeSpan Window, TimeSpan WarmUp, int Opens, bool Micro)
{
    public const string Usage = "dotnet run -c Release --project tests/IpcBroker.Benchmarks -- all|latency|throughput|bulk|open|memory [--rounds N (3)] [--window SECONDS (2)] [--warmup SECONDS (2)] [--opens N (5)] [--no-micro]";

    /// <summary>Whether this run measures <paramref name="part"/>.</summary>
    public bool Runs(string part) => this.Verb == "all" || this.Verb == part;

    public static BenchmarkSettings Parse(string verb, string[] args)
    {
        var settings = new BenchmarkSettings(verb, 3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), 5, verb == "all");
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. Usage: {Usage}");
            settings = args[i] switch
            {
                "--rounds" => settings with { Rounds = Math.Max(1, int.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--window" => settings with { Window = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--warmup" => settings with { WarmUp = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--opens" => settings with { Opens = Math.Max(1, int.Parse(Next(), CultureInfo.InvariantCulture)) },
                "--no-micro" => settings with { Micro = false },
                _ => throw new ArgumentException($"Unknown option {args[i]}. Usage: {Usage}"),
            };
        }

        return settings;
    }

    public override string ToString() =>
        $"{this.Rounds} rounds of {this.Window.TotalSeconds:0.#} s windows after {this.WarmUp.TotalSeconds:0.#} s warm-ups, {this.Opens} opens";
}
