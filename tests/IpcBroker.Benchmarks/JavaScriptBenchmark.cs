using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;
using IpcBroker.TestMiniApp;
using Microsoft.Extensions.Logging;

namespace IpcBroker.Benchmarks;

/// <summary>
/// Issue 12's figures: the time from <c>StartMiniAppAsync</c> to a JavaScript mini program's <c>onLaunch</c> console line
/// and to its first answered <c>wx.login</c>, cold (no spare process) and warm (one spare), against the same host's open
/// of a C# mini program to its first answered call; and a <c>wx.checkSession</c> round trip from JavaScript (timed in the
/// mini program with <c>Date.now()</c>; Jint has no <c>performance.now()</c>) against the same call made from C# in the
/// same mini process (TestMiniApp's <c>bench.openApiLoop</c>, which runs the mini process's OpenApiDispatcher), interleaved; medians.
/// </summary>
/// <remarks>
/// A console line's time is when the host logged it: it includes the line's way over standard output (a pipe read by the
/// host), which is part of what a developer watching the log sees.
/// </remarks>
internal static class JavaScriptBenchmark
{
    /// <summary>The command that runs this benchmark.</summary>
    public const string Command = "dotnet run -c Release --project tests/IpcBroker.Benchmarks -- javascript [rounds (5)] [calls (200)]";

    private const string AppId = "wx-js-bench";
    private const string CallsAppId = "wx-js-bench-calls";

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        int calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        string miniApp = typeof(JavaScriptBenchmark).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestMiniAppPath").Value!;
        string scratch = Path.Combine(Path.GetTempPath(), "ipcb-bench-js-" + Guid.NewGuid().ToString("N")[..8]);
        string opens = CopyPackage(scratch, "opens", AppId, calls: 0);
        string timed = CopyPackage(scratch, "calls", CallsAppId, calls);
        using var lines = new ConsoleLines();
        using ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.AddProvider(lines).SetMinimumLevel(LogLevel.Information));
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        Console.WriteLine($"IpcBroker JavaScript benchmark: {rounds} rounds, {calls} calls, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"command: {Command}");

        var times = new Dictionary<string, List<double>>
        {
            ["cold onLaunch"] = [], ["cold wx.login"] = [], ["cold C# first call"] = [],
            ["warm onLaunch"] = [], ["warm wx.login"] = [], ["warm C# first call"] = [],
            ["wx.checkSession JS µs/call"] = [], ["wx.checkSession C# µs/call"] = [],
        };
        try
        {
            await using MiniAppHost cold = StartHost(miniApp, spares: 0, store, loggerFactory, opens, timed);
            await using MiniAppHost warm = StartHost(miniApp, spares: 1, store, loggerFactory, opens);
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            for (int round = -1; round < rounds; round++)
            {
                bool counted = round >= 0;
                await OpenAsync(cold, lines, counted ? times["cold onLaunch"] : null, counted ? times["cold wx.login"] : null, deadline.Token);
                await FirstCallAsync(cold, $"cs-cold-{round}", counted ? times["cold C# first call"] : null);
                await warm.WhenSparesReadyAsync(deadline.Token);
                await OpenAsync(warm, lines, counted ? times["warm onLaunch"] : null, counted ? times["warm wx.login"] : null, deadline.Token);
                await warm.WhenSparesReadyAsync(deadline.Token);
                await FirstCallAsync(warm, $"cs-warm-{round}", counted ? times["warm C# first call"] : null);
            }

            // The round trips: one process; each reopen (onShow) runs the JavaScript loop once, then C# runs its loop.
            await cold.StartMiniAppAsync(CallsAppId, cancellationToken: deadline.Token);
            for (int round = -1; round < rounds; round++)
            {
                if (round >= 0)
                {
                    await cold.StartMiniAppAsync(CallsAppId, cancellationToken: deadline.Token);
                }

                string line = await lines.WaitAsync(CallsAppId, "^bench: checkSession ", round + 2, deadline.Token);
                double jsMs = double.Parse(Regex.Match(line, @"calls in (\d+) ms").Groups[1].Value, CultureInfo.InvariantCulture);
                IpcResult cs = await cold.CallMiniProcessPluginAsync(CallsAppId, BenchPayload.OpenApiLoop, new Bundle().PutString("api", "checkSession").PutInt("calls", calls), new IpcCallOptions { Timeout = TimeSpan.FromMinutes(1) }, deadline.Token);
                if (!cs.IsSuccess || cs.Data.GetInt("failures") > 0)
                {
                    throw new InvalidOperationException($"bench.openApiLoop: {cs} {cs.Data}");
                }

                if (round >= 0)
                {
                    times["wx.checkSession JS µs/call"].Add(jsMs * 1000 / calls);
                    times["wx.checkSession C# µs/call"].Add(cs.Data.GetDouble("ms") * 1000 / calls);
                }
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        foreach ((string name, List<double> samples) in times)
        {
            samples.Sort();
            Console.WriteLine($"{name,-28} median {Median(samples),9:0.0}   min {samples[0],9:0.0}   max {samples[^1],9:0.0}");
        }

        Console.WriteLine($"cold: onLaunch {Ratio(times, "cold onLaunch", "cold C# first call")}, first wx.login {Ratio(times, "cold wx.login", "cold C# first call")} the C# mini program's open to its first answered call");
        Console.WriteLine($"warm: onLaunch {Ratio(times, "warm onLaunch", "warm C# first call")}, first wx.login {Ratio(times, "warm wx.login", "warm C# first call")} the C# mini program's open to its first answered call");
        Console.WriteLine($"wx.checkSession from JavaScript: {Ratio(times, "wx.checkSession JS µs/call", "wx.checkSession C# µs/call")} the same call from C# in the mini process");
        return 0;
    }

    private static string Ratio(Dictionary<string, List<double>> times, string a, string b) => $"{Median(times[a]) / Median(times[b]):0.00}x";

    private static MiniAppHost StartHost(string miniApp, int spares, OpenApiStore store, ILoggerFactory loggerFactory, params string[] packages)
    {
        const string user = "u-bench";
        var openApi = new OpenApiService(store, new SampleMiniAppProxy(() => user, new Dictionary<string, UserProfile> { [user] = new("Bench") }), new OpenApiOptions());
        var registry = new IpcEventRegistry(IpcSide.Main);
        registry.Register(new OpenDataPlugin(openApi));
        var options = new MiniAppHostOptions { MiniExecutablePath = miniApp, SpareProcesses = spares, MaxMiniProcesses = 8 };
        foreach (string package in packages)
        {
            options.MiniPrograms[Path.GetFileName(package) == "opens" ? AppId : CallsAppId] = package;
        }

        MiniAppHost host = MiniAppHost.Start(registry, options, loggerFactory);
        host.SignIn(user);
        return host;
    }

    /// <summary>Opens the JavaScript mini program, times its onLaunch line and its first answered wx.login, stops it.</summary>
    private static async Task OpenAsync(MiniAppHost host, ConsoleLines lines, List<double>? launch, List<double>? login, CancellationToken cancellationToken)
    {
        int launches = lines.Count(AppId, "^bench: onLaunch$"), logins = lines.Count(AppId, "^bench: login answered$");
        long started = Stopwatch.GetTimestamp();
        await host.StartMiniAppAsync(AppId, cancellationToken: cancellationToken);
        long launchedAt = await lines.WaitAtAsync(AppId, "^bench: onLaunch$", launches + 1, cancellationToken);
        long loggedInAt = await lines.WaitAtAsync(AppId, "^bench: login answered$", logins + 1, cancellationToken);
        launch?.Add(Stopwatch.GetElapsedTime(started, launchedAt).TotalMilliseconds);
        login?.Add(Stopwatch.GetElapsedTime(started, loggedInAt).TotalMilliseconds);
        await host.StopMiniAppAsync(AppId, cancellationToken: cancellationToken);
    }

    /// <summary>Opens a C# mini program (an appId no package maps) to its first answered echo, as the open benchmark does.</summary>
    private static async Task FirstCallAsync(MiniAppHost host, string appId, List<double>? times)
    {
        (double ms, int _) = await BrokerScenarios.OpenToFirstCallAsync(host, appId);
        times?.Add(ms);
        await host.StopMiniAppAsync(appId);
    }

    private static string CopyPackage(string scratch, string name, string appId, int calls)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "mini-programs", "bench");
        string target = Path.Combine(scratch, name);
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, "app.js"), Path.Combine(target, "app.js"));
        File.WriteAllText(Path.Combine(target, "app.json"), $"{{ \"appId\": \"{appId}\", \"entry\": \"app.js\" }}\n");
        File.WriteAllText(Path.Combine(target, "config.js"), $"module.exports = {{ calls: {calls} }};\n");
        return target;
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>The host's console lines of the mini programs (category IpcBroker.MiniProgram), each with the time it was logged.</summary>
    private sealed class ConsoleLines : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<(string Message, long At)> seen = new();
        private readonly SemaphoreSlim added = new(0);

        public ILogger CreateLogger(string categoryName) => categoryName == "IpcBroker.MiniProgram" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            long at = Stopwatch.GetTimestamp();
            string message = formatter(state, exception);
            if (logLevel >= LogLevel.Warning)
            {
                Console.WriteLine($"  mini program: {message}");
            }

            this.seen.Enqueue((message, at));
            this.added.Release();
        }

        public int Count(string appId, string pattern) => this.seen.Count(l => Matches(l.Message, appId, pattern));

        /// <summary>Waits for the <paramref name="nth"/> line of <paramref name="appId"/> matching <paramref name="pattern"/>; returns when it was logged.</summary>
        public async Task<long> WaitAtAsync(string appId, string pattern, int nth, CancellationToken cancellationToken)
        {
            while (true)
            {
                (string Message, long At)[] matching = [.. this.seen.Where(l => Matches(l.Message, appId, pattern))];
                if (matching.Length >= nth)
                {
                    return matching[nth - 1].At;
                }

                await this.added.WaitAsync(cancellationToken);
            }
        }

        /// <summary>Waits for the <paramref name="nth"/> line of <paramref name="appId"/> matching <paramref name="pattern"/>; returns its text.</summary>
        public async Task<string> WaitAsync(string appId, string pattern, int nth, CancellationToken cancellationToken)
        {
            long at = await this.WaitAtAsync(appId, pattern, nth, cancellationToken);
            return this.seen.First(l => l.At == at && Matches(l.Message, appId, pattern)).Message;
        }

        public void Dispose() => this.added.Dispose();

        private static bool Matches(string message, string appId, string pattern) =>
            message.StartsWith(appId + ": ", StringComparison.Ordinal) && Regex.IsMatch(message[(appId.Length + 2)..], pattern);
    }
}
