using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Protocol;
using IpcBroker.TestMiniApp;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The suite of issue 11 in one run: the floors, the bare stacks and the broker, interleaved round by round (the machine's
/// load moves them alike), each figure the median of its rounds; then the table of ratios, <c>benchmarks/latest.json</c>
/// and <c>benchmarks/latest.md</c> (for <c>all</c>).
/// </summary>
/// <remarks>
/// Every child process is started under the launcher like a mini process (floors and stacks through the host's own
/// transport, mini processes by the host) and ended by its pid on every path; every wait has a deadline.
/// </remarks>
internal sealed class BenchmarkRun
{
    private const int InFlight = 16;
    private const int LargeBytes = 16 * 1024 * 1024;
    private const double LargeMiB = LargeBytes / (1024.0 * 1024.0);

    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1.5);
    private static readonly BareStackKind[] StackKinds = [BareStackKind.JsonRpcOnSocket, BareStackKind.JsonRpcOnMultiplexer, BareStackKind.FramesOnMultiplexer];

    private readonly BenchmarkSettings settings;
    private readonly Results results = new();
    private readonly string miniApp = Metadata("TestMiniAppPath");
    private readonly Bundle small = BenchPayload.Small();
    private readonly int self = Environment.ProcessId;

    private BenchmarkRun(BenchmarkSettings settings) => this.settings = settings;

    /// <summary>Gets a path the project file wrote into this assembly's metadata.</summary>
    public static string Metadata(string key) =>
        Path.GetFullPath(typeof(BenchmarkRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!);

    public static async Task<int> RunAsync(string verb, string[] args)
    {
        var run = new BenchmarkRun(BenchmarkSettings.Parse(verb, args));
        return await run.RunAsync();
    }

    private static string Id(BareStackKind kind) => kind switch
    {
        BareStackKind.JsonRpcOnSocket => "stack.socket",
        BareStackKind.JsonRpcOnMultiplexer => "stack.mux",
        _ => "stack.frames",
    };

    private async Task<int> RunAsync()
    {
        DateTime startedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        string command = $"dotnet run -c Release --project tests/IpcBroker.Benchmarks -- {this.settings.Verb}";
        Console.WriteLine($"IpcBroker benchmark `{this.settings.Verb}`: {this.settings}; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        string loadAtStart = ProcStats.LoadAverage();
        int frameBytes = BundleCodec.Encode(this.small, BundleLimits.Default).Length;
        this.results.Notes.Add($"A small call is the 5-key bundle (an int, a long, a short string, a bool, a 16-byte array): {frameBytes} bytes encoded; the raw floors echo frames of 4 + {frameBytes} bytes.");
        this.results.Notes.Add($"Floors and bare stacks run as mini processes do: started by the host's own transport (MiniProcessLauncher under the launcher, the same sandbox, cleared environment and pre-connected socket, launch line and hello). Floor: tests/IpcBroker.Benchmarks.Floor, a byte echo referencing nothing but the runtime; stacks: this executable in its stack-server child mode.");
        this.results.Notes.Add("Every host and mini process runs with the default limits: a 16 MiB byte array fits the default bundle limit (16 MiB + 64 KiB encoded).");
        this.results.Notes.Add("First second: a freshly started mini process's calls (host → mini) from its first, for 1 s and at least 20 calls.");
        this.results.Notes.Add("CPU per call: utime + stime of both processes (/proc/PID/stat, 10 ms ticks) over the window, divided by the calls answered.");

        await using (MiniAppHost host = BrokerScenarios.StartHost(this.miniApp, spares: 0))
        await using (var floorLauncher = new SandboxedChildLauncher(Metadata("FloorPath")))
        await using (var stackLauncher = new SandboxedChildLauncher(typeof(BenchmarkRun).Assembly.Location, new Dictionary<string, string> { [BareStack.ChildModeVariable] = BareStack.ChildModeValue }))
        {
            this.results.Notes.Add("Sandbox of every child: " + host.Protections.Describe());
            var floors = new Floors(floorLauncher, frameBytes);
            if (this.settings.Runs("latency") || this.settings.Runs("throughput") || this.settings.Runs("bulk"))
            {
                await this.SteadyStateAsync(host, floors, stackLauncher);
            }

            if (this.settings.Runs("open") || this.settings.Runs("memory"))
            {
                await this.OpensAsync(floors);
            }
        }

        if (this.settings.Runs("memory"))
        {
            await this.HostMemoryAsync();
        }

        this.results.Notes.Add($"Machine load (/proc/loadavg, 1, 5 and 15 min) at the start: {loadAtStart}; at the end of the measurements: {ProcStats.LoadAverage()} — on {Environment.ProcessorCount} cores; above that, every latency swings.");
        string? micro = this.settings.Micro ? await MicroAsync() : null;
        var description = new RunDescription(command, startedAt, clock.Elapsed, GitCommit(), $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}", this.settings.ToString());
        Console.WriteLine();
        Console.Write(ReportWriter.Table(this.results));
        foreach (string note in this.results.Notes)
        {
            Console.WriteLine("- " + note);
        }

        if (this.settings.Verb == "all")
        {
            string directory = Path.Combine(RepositoryRoot(), "benchmarks");
            Directory.CreateDirectory(directory);
            string markdown = ReportWriter.Markdown(this.results, description) + (micro is null ? string.Empty : Environment.NewLine + micro);
            await File.WriteAllTextAsync(Path.Combine(directory, "latest.md"), markdown);
            await File.WriteAllTextAsync(Path.Combine(directory, "latest.json"), ReportWriter.Json(this.results, description));
            Console.WriteLine($"wrote {Path.Combine(directory, "latest.md")} and latest.json ({clock.Elapsed.TotalSeconds:0} s)");
        }

        return 0;
    }

    /// <summary>Small calls one at a time and 16 in flight, 5 mini processes at once, and 16 MiB: floor, stacks and broker, round by round.</summary>
    private async Task SteadyStateAsync(MiniAppHost host, Floors floors, SandboxedChildLauncher stackLauncher)
    {
        var stacks = new List<(BareStackKind Kind, SandboxedChild Child, BareStackClient Client)>();
        SandboxedChild? floor = null;
        string[] others = ["bench-2", "bench-3", "bench-4", "bench-5"];
        try
        {
            floor = await floors.StartChildAsync("bench-floor");
            foreach (BareStackKind kind in StackKinds)
            {
                SandboxedChild child = await stackLauncher.StartAsync($"bench-{Id(kind)}");
                try
                {
                    stacks.Add((kind, child, await BareStack.ConnectAsync(child.Stream, kind)));
                }
                catch
                {
                    await child.DisposeAsync();
                    throw;
                }
            }

            int miniPid = (await host.StartMiniAppAsync("bench")).ProcessId;
            Func<Task> rawCall = floors.OneAtATime(floor.Stream);
            Func<Task> brokerCall = BrokerScenarios.HostToMini(host, "bench", this.small);
            bool latency = this.settings.Runs("latency"), throughput = this.settings.Runs("throughput"), bulk = this.settings.Runs("bulk");

            // Warm-ups by time (tiered JIT needs a second or two of calls in each process), not counted.
            Console.WriteLine("warming up");
            TimeSpan warmUp = this.settings.WarmUp;
            await LatencySample.MeasureForAsync("warm-up", rawCall, warmUp);
            foreach ((BareStackKind _, SandboxedChild _, BareStackClient client) in stacks)
            {
                await LatencySample.MeasureForAsync("warm-up", () => client.CallAsync(this.small), warmUp);
                await ThroughputSample.MeasureAsync(() => client.CallAsync(this.small), InFlight, warmUp / 2);
            }

            await LatencySample.MeasureForAsync("warm-up", brokerCall, warmUp);
            await ThroughputSample.MeasureAsync(brokerCall, InFlight, warmUp / 2);
            await BrokerScenarios.DriveAsync(host, "bench", warmUp, 1);
            await BrokerScenarios.DriveAsync(host, "bench", warmUp / 2, InFlight);
            await floors.CoalescedAsync(floor.Stream, InFlight, warmUp / 2);
            if (throughput)
            {
                foreach (string appId in others)
                {
                    await host.StartMiniAppAsync(appId);
                    await BrokerScenarios.DriveAsync(host, appId, warmUp / 2, InFlight);
                }
            }

            if (bulk)
            {
                await Floors.LargeEchoAsync(floor.Stream, LargeBytes);
                await BrokerScenarios.HostToMini(host, "bench", BenchPayload.Blob(LargeBytes))();
                await BrokerScenarios.DriveAsync(host, "bench", TimeSpan.FromSeconds(50), 1, LargeBytes, calls: 1);
            }

            for (int round = 1; round <= this.settings.Rounds; round++)
            {
                Console.WriteLine($"round {round} of {this.settings.Rounds}");
                if (latency)
                {
                    await this.LatencyRoundAsync(host, rawCall, brokerCall, stacks.Select(s => (s.Kind, s.Client)), round);
                }

                if (throughput)
                {
                    await this.ThroughputRoundAsync(host, floors, floor, miniPid, stacks, others);
                }

                if (bulk)
                {
                    await this.BulkRoundAsync(host, floor);
                }
            }
        }
        finally
        {
            foreach ((BareStackKind _, SandboxedChild child, BareStackClient client) in stacks)
            {
                await client.DisposeAsync();
                await child.DisposeAsync();
            }

            if (floor is not null)
            {
                await floor.DisposeAsync();
            }

            await host.StopAllMiniAppAsync();
        }
    }

    private async Task LatencyRoundAsync(MiniAppHost host, Func<Task> rawCall, Func<Task> brokerCall, IEnumerable<(BareStackKind Kind, BareStackClient Client)> stacks, int round)
    {
        TimeSpan window = this.settings.Window;
        this.AddLatency("floor.small", await LatencySample.MeasureForAsync("raw echo", rawCall, window));
        foreach ((BareStackKind kind, BareStackClient client) in stacks)
        {
            this.AddLatency(Id(kind), await LatencySample.MeasureForAsync(Id(kind), () => client.CallAsync(this.small), window));
        }

        this.AddLatency("broker.h2m", await LatencySample.MeasureForAsync("broker host → mini", brokerCall, window));
        BrokerScenarios.DriveResult drive = await BrokerScenarios.DriveAsync(host, "bench", window, 1);
        this.results.Add("broker.m2h.p50", drive.P50, "µs");
        this.results.Add("broker.m2h.p90", drive.P90, "µs");
        this.results.Add("broker.m2h.p99", drive.P99, "µs");
        Console.WriteLine($"  broker mini → main: {drive.Count} calls p50 {drive.P50:0.0} µs p99 {drive.P99:0.0} µs");

        // The first second of a process that has just started: a fresh mini program, its calls timed from its first.
        string fresh = $"bench-fresh-{round}";
        await host.StartMiniAppAsync(fresh);
        try
        {
            // At least 20 calls: on a loaded machine the first call alone can take over a second.
            LatencySample first = await LatencySample.MeasureForAsync("broker, first second", BrokerScenarios.HostToMini(host, fresh, this.small), TimeSpan.FromSeconds(1), minimumCalls: 20);
            this.results.Add("broker.firstSecond.p50", first.P50, "µs");
            Console.WriteLine("  " + first);
        }
        finally
        {
            await host.StopMiniAppAsync(fresh);
        }
    }

    private void AddLatency(string id, LatencySample sample)
    {
        this.results.Add(id + ".p50", sample.P50, "µs");
        this.results.Add(id + ".p90", sample.P90, "µs");
        this.results.Add(id + ".p99", sample.P99, "µs");
        Console.WriteLine("  " + sample);
    }

    private async Task ThroughputRoundAsync(MiniAppHost host, Floors floors, SandboxedChild floor, int miniPid, List<(BareStackKind Kind, SandboxedChild Child, BareStackClient Client)> stacks, string[] others)
    {
        TimeSpan window = this.settings.Window;
        this.AddThroughput("floor.coalesced", await ThroughputSample.MeasureCpuAsync(() => floors.CoalescedAsync(floor.Stream, InFlight, window), this.self, floor.ProcessId));
        foreach ((BareStackKind kind, SandboxedChild child, BareStackClient client) in stacks)
        {
            this.AddThroughput(Id(kind) + ".16", await ThroughputSample.MeasureAsync(() => client.CallAsync(this.small), InFlight, window, this.self, child.ProcessId));
        }

        this.AddThroughput("broker.h2m.16", await ThroughputSample.MeasureAsync(BrokerScenarios.HostToMini(host, "bench", this.small), InFlight, window, this.self, miniPid));
        this.AddThroughput("broker.m2h.16", await ThroughputSample.MeasureCpuAsync(
            async () =>
            {
                BrokerScenarios.DriveResult drive = await BrokerScenarios.DriveAsync(host, "bench", window, InFlight);
                return (drive.Count, drive.Seconds);
            },
            this.self,
            miniPid));

        // Five mini processes, each driving 16 calls at once to the main process.
        BrokerScenarios.DriveResult[] five = await Task.WhenAll(new[] { "bench" }.Concat(others).Select(appId => BrokerScenarios.DriveAsync(host, appId, window, InFlight)));
        double[] each = [.. five.Select(d => d.CallsPerSecond)];
        this.results.Add("broker.five.callsPerSecond", each.Sum(), "calls/s");
        this.results.Add("broker.five.slowestOfMean", each.Min() / each.Average(), "x");
        Console.WriteLine($"  5 mini processes: {each.Sum():0} calls/s in all ({string.Join(", ", each.Select(c => c.ToString("0", CultureInfo.InvariantCulture)))})");
    }

    private void AddThroughput(string id, ThroughputSample sample)
    {
        this.results.Add(id + ".callsPerSecond", sample.CallsPerSecond, "calls/s");
        this.results.Add(id + ".cpuPerCall", sample.CpuMicrosPerCall, "µs CPU");
        Console.WriteLine($"  {id,-22} {sample.CallsPerSecond,8:0} calls/s  {sample.CpuMicrosPerCall,6:0.0} µs CPU per call");
    }

    private async Task BulkRoundAsync(MiniAppHost host, SandboxedChild floor)
    {
        double floorSeconds = await Floors.LargeEchoAsync(floor.Stream, LargeBytes);
        long started = Stopwatch.GetTimestamp();
        await BrokerScenarios.HostToMini(host, "bench", BenchPayload.Blob(LargeBytes))();
        double hostToMini = Stopwatch.GetElapsedTime(started).TotalSeconds;
        BrokerScenarios.DriveResult drive = await BrokerScenarios.DriveAsync(host, "bench", TimeSpan.FromSeconds(50), 1, LargeBytes, calls: 1);
        this.results.Add("floor.bulk.mibPerSecond", LargeMiB / floorSeconds, "MiB/s");
        this.results.Add("broker.bulk.h2m.mibPerSecond", LargeMiB / hostToMini, "MiB/s");
        this.results.Add("broker.bulk.m2h.mibPerSecond", LargeMiB / (drive.P50 / 1e6), "MiB/s");
        Console.WriteLine($"  16 MiB echo: floor {LargeMiB / floorSeconds:0} MiB/s, broker host → mini {LargeMiB / hostToMini:0} MiB/s, mini → main {LargeMiB / (drive.P50 / 1e6):0} MiB/s");
    }

    /// <summary>
    /// Start-up: the bare process's start to its first answered echo and its idle memory, against a cold open (no spare)
    /// and a warm one (a spare process) to the first answered call, and the idle mini's memory.
    /// </summary>
    private async Task OpensAsync(Floors floors)
    {
        Console.WriteLine("opens");
        await using MiniAppHost cold = BrokerScenarios.StartHost(this.miniApp, spares: 0);
        await using MiniAppHost warm = BrokerScenarios.StartHost(this.miniApp, spares: 1);

        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            // One of each first, not counted: the files are then in the page cache for all alike.
            await floors.StartToFirstEchoAsync(TimeSpan.Zero);
            await BrokerScenarios.OpenToFirstCallAsync(cold, "open-warm-up");
            await cold.StopMiniAppAsync("open-warm-up");
            for (int i = 0; i < this.settings.Opens; i++)
            {
                (double floorMs, long floorRss) = await floors.StartToFirstEchoAsync(Idle);
                this.results.Add("floor.start.ms", floorMs, "ms");
                this.results.Add("floor.idle.rssMiB", floorRss / 1024.0, "MiB");

                (double coldMs, int pid) = await BrokerScenarios.OpenToFirstCallAsync(cold, $"cold-{i}");
                this.results.Add("broker.open.cold.ms", coldMs, "ms");
                await Task.Delay(Idle);
                this.results.Add("mini.idle.rssMiB", ProcStats.RssKiB(pid) / 1024.0, "MiB");
                if (i == 0)
                {
                    this.results.Notes.Add($"Idle memory settings — mini process: {Describe(ProcStats.DotnetEnvironment(pid))}; runtimeconfig: {RuntimeConfig(this.miniApp)}; floor: runtimeconfig {RuntimeConfig(Metadata("FloorPath"))}; both get the same launcher environment.");
                }

                await cold.StopMiniAppAsync($"cold-{i}");
                string line = $"  start floor {floorMs:0} ms ({floorRss / 1024.0:0.0} MiB idle), cold open {coldMs:0} ms";
                await warm.WhenSparesReadyAsync(deadline.Token);
                (double warmMs, int _) = await BrokerScenarios.OpenToFirstCallAsync(warm, $"warm-{i}");
                this.results.Add("broker.open.warm.ms", warmMs, "ms");
                await warm.StopMiniAppAsync($"warm-{i}");
                line += $", warm open {warmMs:0} ms";

                Console.WriteLine(line);
            }
        }
        finally
        {
            await cold.StopAllMiniAppAsync();
            if (warm is not null)
            {
                await warm.StopAllMiniAppAsync();
            }
        }

        static string Describe(IReadOnlyList<string> variables) => variables.Count == 0 ? "no DOTNET_ variables" : string.Join(" ", variables);
    }

    /// <summary>The host's memory, measured in a fresh process of its own (<see cref="MemoryProbe"/>).</summary>
    private async Task HostMemoryAsync()
    {
        Console.WriteLine("host memory (a child process of its own)");
        string file = Path.Combine(Path.GetTempPath(), $"ipcb-bench-memory-{Environment.ProcessId}.json");
        try
        {
            (int? exitCode, string output) = await ChildRun.RunAsync(["memory-probe", file], TimeSpan.FromMinutes(2));
            if (exitCode != 0 || !File.Exists(file))
            {
                this.results.Notes.Add($"Host memory: the probe failed (exit {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "timeout"}): {output.Split('\n').LastOrDefault()}");
                return;
            }

            var figures = JsonSerializer.Deserialize<Dictionary<string, double>>(await File.ReadAllTextAsync(file))!;
            foreach ((string id, double value) in figures.Where(f => f.Key.EndsWith("MiB", StringComparison.Ordinal)))
            {
                this.results.Add(id, value, "MiB");
            }

            this.results.Notes.Add($"Host memory: a fresh host process (the suite's own holds everything else it measured), the host app's defaults; per idle connection = growth of VmRSS from 1 idle mini process open (it pays for the connection path's code) to {1 + figures["host.perConnection.count"]:0}, divided by {figures["host.perConnection.count"]:0}; spares count.");
            Console.WriteLine("  " + output.Split('\n').LastOrDefault());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs the BenchmarkDotNet suite (<c>micro</c>) as a child with a short job; its reports, or why not.</summary>
    private static async Task<string> MicroAsync()
    {
        Console.WriteLine("micro (BenchmarkDotNet, a child process)");
        string directory = Directory.CreateTempSubdirectory("ipcb-bench-micro-").FullName;
        try
        {
            // From the repository root (BenchmarkDotNet finds the project it builds from there); its artifacts go to a scratch directory.
            (int? exitCode, string output) = await ChildRun.RunAsync(["micro", "--job", "short", "--filter", "*", "--artifacts", directory], TimeSpan.FromMinutes(4), RepositoryRoot());
            string reportsDirectory = Path.Combine(directory, "results");
            string[] reports = Directory.Exists(reportsDirectory) ? Directory.GetFiles(reportsDirectory, "*-report-github.md") : [];
            if (exitCode != 0 || reports.Length == 0)
            {
                Console.WriteLine($"  micro: not available (exit {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "timeout"}): {output.Split('\n').LastOrDefault()}");
                return $"## Micro (BenchmarkDotNet){Environment.NewLine}{Environment.NewLine}micro: not available (exit {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "timeout"}).{Environment.NewLine}";
            }

            return $"## Micro (BenchmarkDotNet, `--job short`){Environment.NewLine}{Environment.NewLine}" + string.Join(Environment.NewLine, reports.Order(StringComparer.Ordinal).Select(File.ReadAllText));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string RuntimeConfig(string dll)
    {
        string path = Path.ChangeExtension(dll, ".runtimeconfig.json");
        try
        {
            using JsonDocument config = JsonDocument.Parse(File.ReadAllText(path));
            return config.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out JsonElement properties)
                ? string.Join(" ", properties.EnumerateObject().Select(p => $"{p.Name}={p.Value}"))
                : "defaults";
        }
        catch (IOException)
        {
            return "not found";
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "IpcBroker.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private static string GitCommit()
    {
        try
        {
            using Process git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryRoot() })!;
            if (!git.WaitForExit(5000))
            {
                git.Kill();
                return "unknown";
            }

            string commit = git.StandardOutput.ReadToEnd().Trim();
            return git.ExitCode == 0 ? commit : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
