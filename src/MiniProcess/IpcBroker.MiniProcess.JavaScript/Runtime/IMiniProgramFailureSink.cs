using IpcBroker.MiniPrograms;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Told, once, that the mini program was stopped for what it did (a seam: tests capture it; the process exits in production).</summary>
internal interface IMiniProgramFailureSink
{
    /// <summary>Reports the stop; returns at once, never waits for the JavaScript thread (it may be the caller).</summary>
    /// <param name="reason">Why, starting with <c>JavaScript stopped: </c>.</param>
    void Fail(string reason);
}

/// <summary>
/// Writes the reason as a <see cref="MiniProgramOutputLine.FormatExitReason"/> line on standard output and asks the mini
/// process to exit with <see cref="MiniProcessRuntime.ExitMiniProgramFailed"/>; the host's stop is still answered until then.
/// </summary>
/// <param name="exit">The mini process's exit.</param>
internal sealed class ExitingFailureSink(MiniProcessExit exit) : IMiniProgramFailureSink
{
    /// <inheritdoc/>
    public void Fail(string reason)
    {
        Console.Out.WriteLine(MiniProgramOutputLine.FormatExitReason(reason));
        Console.Out.Flush();
        exit.Request(MiniProcessRuntime.ExitMiniProgramFailed, reason);
    }
}
