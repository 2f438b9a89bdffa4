using IpcBroker.MiniProcess.JavaScript;

namespace IpcBroker.JavaScript.Tests.Runtime;

public class JsStopReasonsTests
{
    [Fact]
    public void TheHeapReasonShowsALiveHeapJustAboveItsBoundAsDifferentFromIt()
    {
        const long bound = 64L * 1024 * 1024;
        string reason = JsStopReasons.Heap(bound + 1, bound);

        Assert.StartsWith(JsStopReasons.Prefix, reason, StringComparison.Ordinal);
        Assert.Contains("heap", reason, StringComparison.Ordinal);
        Assert.Contains("67108865 bytes", reason, StringComparison.Ordinal);
        Assert.Contains("67108864 bytes", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHeapReasonAlsoGivesMebibytesWithOneDecimal()
    {
        string reason = JsStopReasons.Heap(100L * 1024 * 1024 + (300 * 1024), 96L * 1024 * 1024);

        Assert.Contains("100.3 MiB", reason, StringComparison.Ordinal);
        Assert.Contains("96.0 MiB", reason, StringComparison.Ordinal);
    }
}
