using IpcBroker.MainProcess.Cli;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary><see cref="ControlRefusalLog"/>: every refusal counted, few logged.</summary>
public sealed class ControlRefusalLogTests : TestBase
{
    public ControlRefusalLogTests(ITestOutputHelper output)
        : base(output)
    {
    }

    [Fact]
    public void AFloodOfRefusalsIsCountedInFullButLoggedOnlyAFewTimes()
    {
        var log = new ControlRefusalLog(this.LoggerFactory.CreateLogger("control"));

        for (int i = 0; i < 1000; i++)
        {
            log.Refused(4242, "it descends from mini process 7");
        }

        // However slow the machine, 1000 calls in a row span far fewer than 1000 / PerSecond seconds.
        Assert.Equal(1000, log.Count);
        int logged = this.Logs.Records.Count(r => r.EventId == 2030);
        Assert.InRange(logged, ControlRefusalLog.PerSecond, 500);
        Assert.Contains("pid 4242", this.Logs.Records.First(r => r.EventId == 2030).Message);
    }
}
