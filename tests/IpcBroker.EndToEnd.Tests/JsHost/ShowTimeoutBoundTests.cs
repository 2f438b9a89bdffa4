using System.Collections.Concurrent;
using System.Text;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MiniPrograms;
using IpcBroker.Plugins;
using IpcBroker.Testing;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>
/// A reopen's <see cref="MiniProgramEvents.Show"/> within a host whose connections allow calls shorter than the Show's own
/// bound: the Show is still sent (its deadline is the shorter one), not refused locally as a bad request.
/// </summary>
public sealed class ShowTimeoutBoundTests(ITestOutputHelper output) : TestBase(output)
{
    private readonly string directory = Directory.CreateTempSubdirectory("ipcbroker-show-bound-").FullName;
    private readonly ConcurrentQueue<string> received = new();
    private readonly TaskCompletionSource showReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Dispose()
    {
        Directory.Delete(this.directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public async Task AReopenSendsShowWhenTheConnectionsLongestCallIsShorterThanTheShowTimeout()
    {
        File.WriteAllText(Path.Combine(this.directory, "app.json"), """{ "appId": "wx-js" }""", new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(this.directory, "app.js"), "App({});", new UTF8Encoding(false));
        var transport = new InMemoryMiniProcessTransport(
            (appId, registry, main) =>
            {
                registry.AddHandler(MiniProgramEvents.Launch, (IpcRequest request) =>
                {
                    this.received.Enqueue(MiniProgramEvents.Launch);
                    request.Ok();
                });
                registry.AddHandler(MiniProgramEvents.Show, (IpcRequest request) =>
                {
                    this.received.Enqueue(MiniProgramEvents.Show);
                    request.Ok();
                    this.showReceived.TrySetResult();
                });
            },
            IpcConnectionOptions.Default,
            this.LoggerFactory);

        // A valid host: every call of its connections lasts at most 5 s.
        var options = new MiniAppHostOptions
        {
            SpareProcesses = 0,
            Connection = IpcConnectionOptions.Default with { DefaultCallTimeout = TimeSpan.FromSeconds(5), MaxCallTimeout = TimeSpan.FromSeconds(5) },
        };
        await using MiniAppHost host = MiniAppHost.StartWithTransport(new IpcEventRegistry(IpcSide.Main), options, this.LoggerFactory, transport);
        host.AddMiniProgram(this.directory);
        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        await this.WithTimeoutAsync(host.StartMiniAppAsync("wx-js"));

        // Either the Show reaches the mini side, or the host says why it did not (a refusal of its own making).
        TestLogRecord? failed = null;
        Task showFailed = this.Logs.WaitForAsync(r => r.EventId == 2145).ContinueWith(t => failed = t.Result, TaskScheduler.Default);
        await this.WithTimeoutAsync(Task.WhenAny(this.showReceived.Task, showFailed));
        Assert.True(failed is null, $"the Show was not sent: {failed?.Message}");
        Assert.Equal([MiniProgramEvents.Launch, MiniProgramEvents.Show], this.received);
    }
}
