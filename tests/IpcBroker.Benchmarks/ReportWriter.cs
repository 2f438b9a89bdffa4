using System.Globalization;
using System.Text;
using System.Text.Json;

namespace IpcBroker.Benchmarks;

/// <summary>Turns a run's figures into the ratio table (Markdown, also printed) and the numbers file (JSON).</summary>
internal static class ReportWriter
{
    /// <summary>The Markdown table: each figure, its floor, the ratio, the issue's target, met or missed.</summary>
    public static string Table(Results results)
    {
        var table = new StringBuilder();
        table.AppendLine("| Figure | Value | Floor | Ratio | Target | |");
        table.AppendLine("|---|---:|---:|---:|---|---|");
        foreach (ReportRow row in ReportRow.All)
        {
            if (row.Evaluate(results) is not { } e)
            {
                table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Figure} | n/a | | | {row.TargetText} | not measured |");
                continue;
            }

            string floor = e.Floor is { } f ? Format(f, results.Unit(row.FloorId!)) : string.Empty;
            string ratio = row.FloorId is null ? string.Empty : e.Ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";
            string verdict = e.Met switch { true => "met", false => "**missed**", null => string.Empty };
            table.AppendLine(CultureInfo.InvariantCulture, $"| {row.Figure} | {Format(e.Value, e.Unit)} | {floor} | {ratio} | {row.TargetText} | {verdict} |");
        }

        return table.ToString();
    }

    /// <summary>The whole Markdown report: how it was run, the table, and the notes.</summary>
    public static string Markdown(Results results, RunDescription run)
    {
        var text = new StringBuilder();
        text.AppendLine("# IpcBroker benchmark: latest run");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"`{run.Command}` — {run.StartedAt:yyyy-MM-dd HH:mm} UTC, commit {run.Commit}, {run.Machine}; {run.Settings}; took {run.Duration.TotalSeconds:0} s.");
        text.AppendLine();
        text.AppendLine("Each value is the median of the rounds (or repetitions); the floor is measured in the same run, interleaved; the ratio is value / floor.");
        text.AppendLine();
        text.Append(Table(results));
        if (results.Notes.Count > 0)
        {
            text.AppendLine();
            foreach (string note in results.Notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        return text.ToString();
    }

    /// <summary>The numbers file: every figure's samples and median, and every row's ratio and verdict.</summary>
    public static string Json(Results results, RunDescription run)
    {
        var document = new
        {
            command = run.Command,
            startedAt = run.StartedAt,
            durationSeconds = Math.Round(run.Duration.TotalSeconds, 1),
            commit = run.Commit,
            machine = run.Machine,
            settings = run.Settings,
            figures = results.Ids.Order(StringComparer.Ordinal).ToDictionary(
                id => id,
                id => new { unit = results.Unit(id), median = Round(results.Median(id)!.Value), samples = results.Samples(id).Select(Round).ToArray() }),
            rows = ReportRow.All.Select(row => (row, e: row.Evaluate(results))).Select(r => new
            {
                figure = r.row.Figure,
                value = r.row.ValueId,
                floor = r.row.FloorId,
                ratio = r.e is null ? (double?)null : Round(r.e.Ratio),
                target = r.row.Target is null ? null : r.row.TargetText,
                met = r.e?.Met,
            }).ToArray(),
            notes = results.Notes,
        };
        return JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
    }

    public static string Format(double value, string unit) => unit switch
    {
        "µs" => value.ToString("0.0", CultureInfo.InvariantCulture) + " µs",
        "µs CPU" => value.ToString("0.0", CultureInfo.InvariantCulture) + " µs CPU",
        "ms" => value.ToString("0", CultureInfo.InvariantCulture) + " ms",
        "calls/s" => value.ToString("0", CultureInfo.InvariantCulture) + " calls/s",
        "MiB/s" => value.ToString("0", CultureInfo.InvariantCulture) + " MiB/s",
        "MiB" => value.ToString("0.00", CultureInfo.InvariantCulture) + " MiB",
        "x" => value.ToString("0.00", CultureInfo.InvariantCulture) + "x",
        _ => value.ToString("0.###", CultureInfo.InvariantCulture) + " " + unit,
    };

    private static double Round(double value) => Math.Round(value, 3);
}

/// <summary>How a run was made, for the head of the report.</summary>
internal sealed record RunDescription(string Command, DateTime StartedAt, TimeSpan Duration, string Commit, string Machine, string Settings);
