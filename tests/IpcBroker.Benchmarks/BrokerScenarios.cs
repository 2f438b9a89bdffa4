using System.Diagnostics;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Plugins;
using IpcBroker.TestMiniApp;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The broker's side of the benchmark: a host with the main-side <c>bench.echo</c>, the test mini program's
/// <c>bench.echo</c> and <c>bench.drive</c>, and the calls each figure is made of.
/// </summary>
internal static class BrokerScenarios
{
    private static readonly IpcCallOptions LongCall = new() { Timeout = TimeSpan.FromSeconds(55) };

    /// <summary>Starts a host of the test mini program with the default limits, <paramref name="spares"/> warm processes and room for 8 mini processes.</summary>
    public static MiniAppHost StartHost(string miniApp, int spares)
    {
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.AddHandler(BenchPayload.Echo, request => Task.FromResult(request.Data));
        var options = new MiniAppHostOptions
        {
            MiniExecutablePath = miniApp,
            MaxMiniProcesses = 8,
            SpareProcesses = spares,
        };
        return MiniAppHost.Start(registry, options);
    }

    /// <summary>One host → mini echo of <paramref name="payload"/>.</summary>
    public static Func<Task> HostToMini(MiniAppHost host, string appId, Bundle payload) => async () =>
    {
        IpcResult result = await host.CallMiniProcessPluginAsync(appId, BenchPayload.Echo, payload, LongCall);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"{appId} {BenchPayload.Echo}: {result}");
        }
    };

    /// <summary>Has the mini program call the main process's echo (<c>bench.drive</c>) and returns what it measured.</summary>
    public static async Task<DriveResult> DriveAsync(MiniAppHost host, string appId, TimeSpan window, int inFlight, int bytes = 0, int calls = int.MaxValue)
    {
        Bundle request = new Bundle().PutDouble("seconds", window.TotalSeconds).PutInt("inFlight", inFlight).PutInt("bytes", bytes).PutInt("calls", calls);
        IpcResult result = await host.CallMiniProcessPluginAsync(appId, BenchPayload.Drive, request, LongCall);
        if (!result.IsSuccess || result.Data is not { } data || data.GetInt("failures") > 0)
        {
            throw new InvalidOperationException($"{appId} {BenchPayload.Drive}: {result}");
        }

        return new DriveResult(data.GetInt("count"), data.GetDouble("seconds"), data.GetDouble("p50"), data.GetDouble("p90"), data.GetDouble("p99"));
    }

    /// <summary>Opens a mini program and makes its first call; returns the milliseconds from the open to the answer and its process id.</summary>
    public static async Task<(double Milliseconds, int ProcessId)> OpenToFirstCallAsync(MiniAppHost host, string appId)
    {
        long started = Stopwatch.GetTimestamp();
        MiniAppInfo info = await host.StartMiniAppAsync(appId);
        await HostToMini(host, appId, BenchPayload.Small())();
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, info.ProcessId);
    }

    /// <summary>What <c>bench.drive</c> measured inside the mini process.</summary>
    public sealed record DriveResult(int Count, double Seconds, double P50, double P90, double P99)
    {
        public double CallsPerSecond => this.Count / this.Seconds;
    }
}
