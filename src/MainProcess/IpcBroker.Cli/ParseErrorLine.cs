using System.CommandLine;
using System.CommandLine.Parsing;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// A command line that did not parse, said in one line: the first error, in the tool's words, with the nearest verb or
/// option when a word was mistyped (<c>serv</c>: did you mean <c>serve</c>?).
/// </summary>
/// <remarks>
/// System.CommandLine's own error output is several lines, help included, and exit code 1; the tool keeps its contract of
/// one line on standard error and exit code 2, so a script can tell a wrong command line from a failed call.
/// </remarks>
internal static class ParseErrorLine
{
    /// <summary>Describes the first thing wrong with <paramref name="parse"/>.</summary>
    /// <param name="parse">A parse with errors.</param>
    /// <returns>The line, without the <c>error: </c> prefix.</returns>
    public static string Describe(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        string help = command == parse.RootCommandResult.Command ? "run with --help for the list" : $"run '{CliCommandLine.Name} {command.Name} --help' for the list";
        // An option missing its value first: "--mini --user u-1" gives --mini "--user" (refused) and leaves u-1 unmatched.
        ParseError? valueError = parse.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult);
        if (parse.UnmatchedTokens.Count > 0 && valueError is null)
        {
            string token = parse.UnmatchedTokens[0];
            bool isOption = token.StartsWith('-');
            string what = isOption ? "option" : command.Subcommands.Count > 0 ? "verb" : "argument";
            IEnumerable<string> candidates = isOption ? command.Options.Where(o => !o.Hidden).Select(o => o.Name) : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            string? nearest = Nearest(token, candidates);
            string unknown = what == "argument" ? $"unexpected argument '{token}'" : $"unknown {what} '{token}'";
            return nearest is null ? $"{unknown}; {help}" : $"{unknown} (did you mean '{nearest}'?); {help}";
        }

        ParseError error = valueError ?? parse.Errors[0];
        return error.SymbolResult switch
        {
            // "--app needs a value" rather than "Required argument missing for option: '--app'.".
            OptionResult { Tokens.Count: 0 } option when option.Option.Arity.MinimumNumberOfValues > 0 => $"{option.Option.Name} needs a value",
            ArgumentResult argument when argument.Tokens.Count < argument.Argument.Arity.MinimumNumberOfValues => $"missing {argument.Argument.Name}",
            CommandResult missing when missing.Command.Arguments.FirstOrDefault(a => a.Arity.MinimumNumberOfValues > 0 && missing.GetResult(a) is null) is { } argument => $"missing {argument.Name}",
            _ => error.Message,
        };
    }

    /// <summary>The candidate closest to <paramref name="typed"/>, if it is close enough to be what was meant.</summary>
    private static string? Nearest(string typed, IEnumerable<string> candidates) => candidates
        .Select(c => (Name: c, Distance: Distance(typed, c)))
        .Where(c => c.Distance <= Math.Max(1, Math.Min(typed.Length, c.Name.Length) / 3) || c.Name.StartsWith(typed, StringComparison.Ordinal) && typed.TrimStart('-').Length >= 2)
        .OrderBy(c => c.Distance)
        .Select(c => c.Name)
        .FirstOrDefault();

    /// <summary>
    /// The optimal string alignment distance: the fewest single-character insertions, deletions, substitutions and swaps
    /// of two adjacent characters from one to the other (<c>sevre</c> is one edit from <c>serve</c>, not two).
    /// </summary>
    private static int Distance(string a, string b)
    {
        // Three rows: the swap looks two rows back.
        int[] beforePrevious = new int[b.Length + 1];
        int[] previous = [.. Enumerable.Range(0, b.Length + 1)];
        int[] current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], beforePrevious[j - 2] + 1);
                }
            }

            (beforePrevious, previous, current) = (previous, current, beforePrevious);
        }

        return previous[b.Length];
    }
}
