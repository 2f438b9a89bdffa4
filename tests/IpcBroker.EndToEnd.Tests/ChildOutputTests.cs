using IpcBroker.MainProcess.Hosting;
using IpcBroker.TestMiniApp;
using IpcBroker.Tests;
using Microsoft.Extensions.Logging;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>A mini process's standard output and error: logged under a category of their own, lines cut, rate limited.</summary>
public sealed class ChildOutputTests(ITestOutputHelper output) : HostTestBase(output)
{
    private const string Category = "IpcBroker.MainProcess.ChildOutput";

    /// <summary>Far more than any line buffer should hold: a reader that kept a whole line would hold all of it.</summary>
    private const long FloodBytes = 200L * 1024 * 1024;

    [Theory]
    [InlineData("stdout")]
    [InlineData("stderr")]
    public async Task AFloodWithoutANewlineIsCutAtTheCapAndTheHostGoesOnServing(string stream)
    {
        this.StartHost();
        MiniAppInfo flooder = await this.OpenAsync("wx-flood");

        IpcResult flooded = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-flood", TestEvents.Flood, new Bundle().PutLong("bytes", FloodBytes).PutString("stream", stream), new IpcCallOptions { Timeout = TimeSpan.FromSeconds(60) }));
        Assert.True(flooded.IsSuccess, flooded.ToString());

        // The line after the flood is logged: the reader read all 200 MiB and kept going.
        await this.WaitForLogAsync(r => r.EventId == 2007 && r.Message.Contains($"pid {flooder.ProcessId}") && r.Message.EndsWith("FLOOD done", StringComparison.Ordinal));
        TestLogRecord[] lines = this.ChildLines(flooder.ProcessId);
        TestLogRecord cut = Assert.Single(lines, r => r.Message.Contains("[cut at 4096 bytes]"));
        Assert.Contains(new string('x', 4096), cut.Message);
        Assert.All(lines, r => Assert.True(r.Message.Length < 4096 + 200, $"a logged line of {r.Message.Length} characters"));
        Assert.All(lines, r => Assert.Equal((Category, LogLevel.Debug), (r.Category, r.Level)));
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-flood", TestEvents.Echo, new Bundle().PutString("k", "v")))).IsSuccess);
    }

    [Fact]
    public async Task LinesBeyondTheRateAreCountedNotLogged()
    {
        // One window for the whole test: exactly the first 20 lines are logged, whatever the machine's speed.
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, ChildOutputLinesPerSecond = 20, ChildOutputRateWindow = TimeSpan.FromHours(1) });
        MiniAppInfo chatty = await this.OpenAsync("wx-chatty");

        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-chatty", TestEvents.WriteLines, new Bundle().PutInt("count", 100)))).IsSuccess);
        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync("wx-chatty")));
        await this.WaitForExitNoticeAsync(chatty.ProcessId);

        // The count of the dropped lines is logged once the process's output has ended.
        TestLogRecord summary = await this.WaitForLogAsync(r => r.EventId == 2016 && r.Message.Contains($"pid {chatty.ProcessId}"));
        Assert.Equal(20, this.ChildLines(chatty.ProcessId).Length);
        int dropped = int.Parse(System.Text.RegularExpressions.Regex.Match(summary.Message, @"(\d+) lines dropped").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(dropped, 80, 1000);
        Assert.DoesNotContain(this.ChildLines(chatty.ProcessId), r => r.Message.EndsWith("LINE 99", StringComparison.Ordinal));
        Assert.Equal(Category, summary.Category);
    }

    private TestLogRecord[] ChildLines(int pid) => this.Logs.Records.Where(r => r.EventId == 2007 && r.Message.Contains($"pid {pid}")).ToArray();

    [Fact]
    public void ControlsSeparatorsAndBidiOverridesAreMadeVisibleBeforeALineIsLogged()
    {
        // Found in review: C1 controls (CSI is U+009B), line separators and bidi overrides passed into the log as they were.
        string child = "a\u001b[31mb\u009b2Jc\u2028d\u202ee\u2066f\tg";
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(child);

        string logged = ChildOutputReader.Decode(bytes, bytes.Length, cut: false);

        Assert.Equal("a?[31mb?2Jc?d?e?f\tg", logged);
    }
}
