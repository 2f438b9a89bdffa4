using System.Diagnostics;
using IpcBroker.Diagnostics;
using StreamJsonRpc.Protocol;

namespace IpcBroker.Tests;

public class TraceContextStrategyTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public void ARequestWithoutTraceContextStartsNoActivity()
    {
        var strategy = new TraceContextStrategy();
        Activity? before = Activity.Current;

        using IDisposable? applied = strategy.ApplyInboundActivity(new JsonRpcRequest { Method = "ipc.call" });

        Assert.Null(applied);
        Assert.Same(before, Activity.Current);
    }

    [Fact]
    public void ARequestWithTraceContextRunsUnderAChildOfTheCallersSpan()
    {
        var strategy = new TraceContextStrategy();
        using var caller = new Activity("caller");
        caller.SetIdFormat(ActivityIdFormat.W3C);
        caller.Start();
        var request = new JsonRpcRequest { Method = "ipc.call" };
        strategy.ApplyOutboundActivity(request);
        caller.Stop();
        Assert.Equal(caller.Id, request.TraceParent);

        using (IDisposable? applied = strategy.ApplyInboundActivity(request))
        {
            Assert.NotNull(applied);
            Assert.Equal(caller.TraceId, Activity.Current?.TraceId);
            Assert.Equal(caller.SpanId, Activity.Current?.ParentSpanId);
        }

        Assert.Null(Activity.Current);
    }

    [Fact]
    public void NoCurrentActivityWritesNoTraceContext()
    {
        var strategy = new TraceContextStrategy();
        Assert.Null(Activity.Current);
        var request = new JsonRpcRequest { Method = "ipc.call" };

        strategy.ApplyOutboundActivity(request);

        Assert.Null(request.TraceParent);
    }
}
