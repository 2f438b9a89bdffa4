namespace IpcBroker.MainProcess.Cli;

/// <summary>A verb's arguments: positionals, <c>--name value</c> options and <c>--flag</c> flags.</summary>
internal sealed class CliArguments
{
    private static readonly HashSet<string> Flags = ["--json", "--help", "-h"];
    private static readonly HashSet<string> Options = ["--connection", "--ver", "--app", "--data", "--user", "--max", "--policy"];
    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);

    public CliArguments(IEnumerable<string> args)
    {
        using IEnumerator<string> e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (Flags.Contains(arg))
            {
                this.flags.Add(arg);
            }
            else if (arg.StartsWith('-') && !Options.Contains(arg))
            {
                throw new CliException($"unknown option '{arg}'; run with --help for the list");
            }
            else if (Options.Contains(arg))
            {
                this.options[arg] = e.MoveNext() && !e.Current.StartsWith("--", StringComparison.Ordinal) ? e.Current : throw new CliException($"{arg} needs a value");
            }
            else
            {
                this.Positionals.Add(arg);
            }
        }
    }

    public List<string> Positionals { get; } = [];

    public bool Json => this.flags.Contains("--json");

    public bool Help => this.flags.Contains("--help") || this.flags.Contains("-h");

    public string? Option(string name) => this.options.GetValueOrDefault(name);

    public string Positional(int index, string what) =>
        index < this.Positionals.Count ? this.Positionals[index] : throw new CliException($"missing {what}");
}
