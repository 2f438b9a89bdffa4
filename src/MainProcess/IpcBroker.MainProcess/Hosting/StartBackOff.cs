using System.Diagnostics;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Keeps a mini executable that dies at start from being restarted in a loop: after <c>threshold</c> deaths in a row, the
/// next starts wait, <c>first</c> doubling at each further death up to <c>cap</c>; a start that binds resets it. The host
/// keeps one for the executable (spares that exited before they were bound, without being asked to) and one per mini
/// program (its processes that exited after their launch line, before they were bound: its own code may have ended them).
/// </summary>
/// <remarks>Not thread-safe on its own: used under the host's lock (<see cref="MiniAppHost"/>).</remarks>
/// <param name="threshold">How many deaths in a row are tolerated without a wait.</param>
/// <param name="first">The first wait.</param>
/// <param name="cap">The longest wait.</param>
internal sealed class StartBackOff(int threshold, TimeSpan first, TimeSpan cap)
{
    private long notBefore;

    /// <summary>Gets how many starts in a row died.</summary>
    public int FailuresInARow { get; private set; }

    /// <summary>Gets why the last start died, or null.</summary>
    public string? LastReason { get; private set; }

    /// <summary>Gets how long the next start must still wait (zero when it need not).</summary>
    public TimeSpan Remaining
    {
        get
        {
            long now = Stopwatch.GetTimestamp();
            return this.notBefore > now ? Stopwatch.GetElapsedTime(now, this.notBefore) : TimeSpan.Zero;
        }
    }

    /// <summary>Records a start that died; returns the wait it imposes, or null below the threshold.</summary>
    /// <param name="reason">Why it died, for the log and the refusals.</param>
    /// <returns>The wait before the next start, or null.</returns>
    public TimeSpan? Failed(string reason)
    {
        this.FailuresInARow++;
        this.LastReason = reason;
        if (this.FailuresInARow < threshold)
        {
            return null;
        }

        int doublings = Math.Min(this.FailuresInARow - threshold, 20);
        TimeSpan wait = TimeSpan.FromTicks(Math.Min(cap.Ticks, first.Ticks << doublings));
        this.notBefore = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
        return wait;
    }

    /// <summary>Records a start that bound: the count starts over and nothing waits.</summary>
    public void Succeeded()
    {
        this.FailuresInARow = 0;
        this.notBefore = 0;
    }
}
