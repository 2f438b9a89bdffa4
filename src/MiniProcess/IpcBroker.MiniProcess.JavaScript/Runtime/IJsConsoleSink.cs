using IpcBroker.MiniPrograms;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Where the mini program's <c>console.*</c> calls go (a seam: tests capture them).</summary>
internal interface IJsConsoleSink
{
    /// <summary>Writes one console call.</summary>
    /// <param name="level">The console method: <c>log</c>, <c>info</c>, <c>warn</c>, <c>error</c> or <c>debug</c>.</param>
    /// <param name="text">The call's arguments, formatted and joined by spaces.</param>
    void Write(string level, string text);
}

/// <summary>Writes each console call as one <see cref="MiniProgramOutputLine.FormatConsole"/> line on standard output, for the host to log.</summary>
internal sealed class StandardOutputConsoleSink : IJsConsoleSink
{
    /// <inheritdoc/>
    public void Write(string level, string text) => Console.Out.WriteLine(MiniProgramOutputLine.FormatConsole(level, text));
}
