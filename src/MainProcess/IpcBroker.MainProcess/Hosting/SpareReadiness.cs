using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Whether a spare mini process has said it is ready to bind (<see cref="SpareProcessSignals.ReadyLine"/> on its standard
/// output), heard only until its launch line is sent.
/// </summary>
/// <remarks>
/// Thread-safe. Before its launch line the process has been told no mini program and run none (its sandbox has no
/// mini program's grant either): the ready line is the mini executable's own word. After it, whatever the process writes may
/// come from a compromised mini program, so <see cref="Close"/> stops listening and such a line is an ordinary output line.
/// </remarks>
internal sealed class SpareReadiness
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int closed;

    /// <summary>Gets a task that completes when the ready line came before <see cref="Close"/>; it never faults.</summary>
    public Task Ready => this.ready.Task;

    /// <summary>Takes <paramref name="line"/> as the ready signal when it is one and the launch line has not been sent.</summary>
    /// <param name="line">A line of the process's standard output.</param>
    /// <returns>Whether it was the signal (not to be logged as output).</returns>
    public bool TryTake(string line)
    {
        if (Volatile.Read(ref this.closed) != 0 || !string.Equals(line, SpareProcessSignals.ReadyLine, StringComparison.Ordinal))
        {
            return false;
        }

        this.ready.TrySetResult();
        return true;
    }

    /// <summary>Stops listening: called before the launch line is sent.</summary>
    public void Close() => Interlocked.Exchange(ref this.closed, 1);
}
