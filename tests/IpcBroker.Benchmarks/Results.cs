namespace IpcBroker.Benchmarks;

/// <summary>The figures of one run: each a list of samples (one per round or repetition) with its unit; notes beside them.</summary>
internal sealed class Results
{
    private readonly Dictionary<string, (string Unit, List<double> Samples)> figures = new(StringComparer.Ordinal);

    public List<string> Notes { get; } = [];

    public IEnumerable<string> Ids => this.figures.Keys;

    public void Add(string id, double value, string unit)
    {
        if (!this.figures.TryGetValue(id, out var figure))
        {
            this.figures[id] = figure = (unit, []);
        }

        figure.Samples.Add(value);
    }

    public string Unit(string id) => this.figures[id].Unit;

    public IReadOnlyList<double> Samples(string id) => this.figures[id].Samples;

    /// <summary>Gets the median of a figure's samples, or null when it was not measured.</summary>
    public double? Median(string id) => this.figures.TryGetValue(id, out var figure) && figure.Samples.Count > 0 ? MedianOf(figure.Samples) : null;

    public static double MedianOf(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
