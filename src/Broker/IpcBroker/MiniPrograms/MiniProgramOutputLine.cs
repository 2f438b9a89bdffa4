namespace IpcBroker.MiniPrograms;

/// <summary>
/// The two kinds of line a mini process writes on its standard output for the host to read: what the mini program logs
/// through <c>console</c>, and why it is about to exit. Anything else on standard output is the mini program's own.
/// </summary>
/// <remarks>
/// A mini process may be compromised, so the host treats both as that mini program's own word about itself: console lines
/// are logged under the mini program's appId (bounded like the rest of its output), an exit reason is reported with its own
/// process's exit and nowhere else.
/// </remarks>
public static class MiniProgramOutputLine
{
    /// <summary>The longest text kept from one line, in characters; the rest is cut.</summary>
    public const int MaxTextLength = 4096;

    private const string ConsolePrefix = "ipcbroker:console ";
    private const string ExitReasonPrefix = "ipcbroker:exit-reason ";

    /// <summary>Formats a console line: <paramref name="level"/> (<c>log</c>, <c>info</c>, <c>warn</c>, <c>error</c>, <c>debug</c>) and the text, line breaks escaped.</summary>
    /// <param name="level">The console method.</param>
    /// <param name="text">What was logged.</param>
    /// <returns>One line, without a line break.</returns>
    public static string FormatConsole(string level, string text) => ConsolePrefix + Clean(level, 16) + " " + Clean(text, MaxTextLength);

    /// <summary>Reads a console line written by <see cref="FormatConsole"/>.</summary>
    /// <param name="line">A line of standard output.</param>
    /// <param name="level">The console method.</param>
    /// <param name="text">The text, line breaks still escaped as <c>\n</c>.</param>
    /// <returns>True when the line is a console line.</returns>
    public static bool TryParseConsole(string line, out string level, out string text)
    {
        level = text = string.Empty;
        if (!line.StartsWith(ConsolePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        string rest = line[ConsolePrefix.Length..];
        int space = rest.IndexOf(' ', StringComparison.Ordinal);
        level = space < 0 ? rest : rest[..space];
        text = space < 0 ? string.Empty : rest[(space + 1)..];
        return level.Length > 0;
    }

    /// <summary>Formats the reason the mini process is about to exit, written just before it does.</summary>
    /// <param name="reason">Why (for example, the mini program ran too long without yielding).</param>
    /// <returns>One line, without a line break.</returns>
    public static string FormatExitReason(string reason) => ExitReasonPrefix + Clean(reason, MaxTextLength);

    /// <summary>Reads an exit reason line written by <see cref="FormatExitReason"/>.</summary>
    /// <param name="line">A line of standard output.</param>
    /// <param name="reason">The reason.</param>
    /// <returns>True when the line is an exit reason.</returns>
    public static bool TryParseExitReason(string line, out string reason)
    {
        reason = line.StartsWith(ExitReasonPrefix, StringComparison.Ordinal) ? line[ExitReasonPrefix.Length..] : string.Empty;
        return reason.Length > 0;
    }

    private static string Clean(string text, int max)
    {
        string oneLine = text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return oneLine.Length <= max ? oneLine : oneLine[..max] + "…";
    }
}
