using IpcBroker.Benchmarks;

namespace IpcBroker.Tests;

/// <summary>The benchmark's /proc readers and its ratio table logic (the benchmark measures; these check its arithmetic).</summary>
public class BenchmarkReportTests
{
    [Fact]
    public void CpuTicksAreUtimePlusStimeCountedAfterTheLastParenthesisOfTheCommandName()
    {
        // Fields 3..17: state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime, cutime, cstime.
        string stat = "4242 (a) b (c) R 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 9 20 0 3 0 100 1000 200";

        Assert.Equal(300, ProcStats.ParseCpuTicks(stat));
    }

    [Fact]
    public void ResidentMemoryIsTheVmRssLineInKiB()
    {
        string status = "Name:\tdotnet\nVmPeak:\t  999999 kB\nVmRSS:\t   37696 kB\nRssAnon:\t   10000 kB\n";

        Assert.Equal(37696, ProcStats.ParseRssKiB(status));
        Assert.Throws<FormatException>(() => ProcStats.ParseRssKiB("Name:\tx\n"));
    }

    [Fact]
    public void TheOwnProcessReadsAsRunningAndResident()
    {
        Assert.True(ProcStats.RssKiB(Environment.ProcessId) > 1024);
        Assert.True(ProcStats.CpuSeconds(Environment.ProcessId) >= 0);
    }

    [Fact]
    public void ARatioIsTheMedianOfTheFigureOverTheMedianOfItsFloorAndMeetsItsTargetInTheRightDirection()
    {
        var results = new Results();
        foreach ((double broker, double floor) in new[] { (300.0, 100.0), (140.0, 110.0), (150.0, 90.0) })
        {
            results.Add("broker.h2m.p50", broker, "µs");
            results.Add("floor.small.p50", floor, "µs");
        }

        results.Add("broker.m2h.16.callsPerSecond", 5000, "calls/s");
        results.Add("floor.coalesced.callsPerSecond", 10000, "calls/s");

        ReportRow.Evaluated latency = new ReportRow("p50", "broker.h2m.p50", "floor.small.p50", Better.Lower, 1.5).Evaluate(results)!;
        Assert.Equal(150, latency.Value);
        Assert.Equal(100, latency.Floor);
        Assert.Equal(1.5, latency.Ratio, 6);
        Assert.True(latency.Met);
        Assert.False(new ReportRow("p50", "broker.h2m.p50", "floor.small.p50", Better.Lower, 1.4).Evaluate(results)!.Met);

        Assert.True(new ReportRow("calls", "broker.m2h.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, 0.5).Evaluate(results)!.Met);
        Assert.False(new ReportRow("calls", "broker.m2h.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, 0.6).Evaluate(results)!.Met);
        Assert.Null(new ReportRow("reference", "broker.m2h.16.callsPerSecond", "floor.coalesced.callsPerSecond", Better.Higher, null).Evaluate(results)!.Met);
    }

    [Fact]
    public void AnAbsoluteTargetComparesTheValueAndAFigureNotMeasuredHasNoRow()
    {
        var results = new Results();
        results.Add("host.perConnection.rssMiB", 0.8, "MiB");

        ReportRow.Evaluated perConnection = new ReportRow("per connection", "host.perConnection.rssMiB", null, Better.Lower, 1).Evaluate(results)!;
        Assert.Equal(0.8, perConnection.Ratio);
        Assert.True(perConnection.Met);
        Assert.Null(new ReportRow("warm", "broker.open.warm.ms", "floor.start.ms", Better.Lower, 0.25).Evaluate(results));
        Assert.Null(new ReportRow("no floor measured", "host.perConnection.rssMiB", "floor.idle.rssMiB", Better.Lower, 1.25).Evaluate(results));
    }

    [Fact]
    public void TheMedianOfAnEvenCountIsTheMeanOfTheMiddleTwo()
    {
        Assert.Equal(2.5, Results.MedianOf([4, 1, 3, 2]));
        Assert.Equal(3, Results.MedianOf([5, 1, 3]));
    }
}
