using System.Reflection;
using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>The timer queue's ids stay unique, also once they wrap around.</summary>
public class JsTimerQueueTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public void AnIdThatWrapsAroundNeverTakesThatOfAPendingTimer()
    {
        var queue = new JsTimerQueue(maxTimers: 2);
        int first = queue.Add(nowTicks: 0, delayMs: 1_000_000, intervalMs: 1, callback: () => { });

        // 2^31 timers later (a long-running mini program setting timers in a loop), the next id wraps to 1 again.
        typeof(JsTimerQueue).GetField("nextId", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(queue, int.MaxValue);
        int second = queue.Add(nowTicks: 0, delayMs: 1_000_000, intervalMs: 1, callback: () => { });

        Assert.NotEqual(first, second);
        Assert.Equal(2, queue.Count);

        // The bound holds: a third is refused, and both clear.
        Assert.Equal(0, queue.Add(nowTicks: 0, delayMs: 0, intervalMs: null, callback: () => { }));
        queue.Remove(first);
        queue.Remove(second);
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryTakeDue(long.MaxValue / 2, out _));
    }
}
