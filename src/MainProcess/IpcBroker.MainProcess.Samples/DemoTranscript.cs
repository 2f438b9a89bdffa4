using System.Diagnostics;

namespace IpcBroker.MainProcess.Demo;

/// <summary>The demo's readable transcript: one line per step, with the time since the demo started. Thread-safe.</summary>
/// <param name="output">Where lines go.</param>
public sealed class DemoTranscript(TextWriter output)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>Writes one line.</summary>
    /// <param name="text">The line.</param>
    public void Line(string text)
    {
        lock (this.clock)
        {
            output.WriteLine($"[{this.clock.Elapsed.TotalMilliseconds,8:0.0} ms] {text}");
        }
    }
}
