using System.Diagnostics;
using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// Base of the tests that start real mini processes: a host per test over a real pipe, and cleanup that ends every
/// process the test started, by its id, pass or fail.
/// </summary>
public abstract class HostTestBase : TestBase, IAsyncLifetime
{
    /// <summary>The test mini app's dll, next to its project's build output.</summary>
    public static readonly string TestMiniAppPath = Path.GetFullPath(typeof(HostTestBase).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TestMiniAppPath").Value!);

    /// <summary>The budget of a test that starts many .NET processes (see <see cref="TestBase.ExtendTimeout"/>).</summary>
    protected static readonly TimeSpan ManyProcessesTimeout = TimeSpan.FromSeconds(120);

    private readonly List<int> startedPids = [];
    private readonly List<MiniProcessExitedEventArgs> exits = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, TaskCompletionSource<MiniProcessExitedEventArgs>> exitSignals = new();
    private MiniAppHost? host;

    protected HostTestBase(ITestOutputHelper output)
        : base(output)
    {
        this.MainRegistry = new IpcEventRegistry(IpcSide.Main);
    }

    protected IpcEventRegistry MainRegistry { get; }

    protected MiniAppHost Host => this.host ?? throw new InvalidOperationException("Call StartHost first.");

    /// <summary>Gets the exit notices seen so far.</summary>
    protected IReadOnlyList<MiniProcessExitedEventArgs> Exits
    {
        get
        {
            lock (this.exits)
            {
                return [.. this.exits];
            }
        }
    }

    protected virtual MiniAppHostOptions HostOptions => new() { MiniExecutablePath = TestMiniAppPath };

    public Task InitializeAsync() => Task.CompletedTask;

    protected MiniAppHost StartHost(MiniAppHostOptions? options = null, IpcEventRegistry? registry = null)
    {
        this.host = MiniAppHost.Start(registry ?? this.MainRegistry, options ?? this.HostOptions, this.LoggerFactory);
        this.host.MiniProcessExited += (_, e) =>
        {
            lock (this.exits)
            {
                this.exits.Add(e);
            }

            this.ExitSignal(e.ProcessId).TrySetResult(e);
        };
        return this.host;
    }

    /// <summary>Starts a mini program and remembers its pid for cleanup.</summary>
    protected async Task<MiniAppInfo> OpenAsync(string appId, MiniAppVerType verType = MiniAppVerType.Release)
    {
        MiniAppInfo info = await this.WithTimeoutAsync(this.Host.StartMiniAppAsync(appId, verType, this.TimeoutToken));
        this.TrackPid(info.ProcessId);
        return info;
    }

    /// <summary>Remembers a process id this test started, to end it when the test ends.</summary>
    protected void TrackPid(int pid)
    {
        lock (this.startedPids)
        {
            this.startedPids.Add(pid);
        }
    }

    /// <summary>Waits for the exit notice of <paramref name="pid"/>.</summary>
    protected Task<MiniProcessExitedEventArgs> WaitForExitNoticeAsync(int pid) => this.WithTimeoutAsync(this.ExitSignal(pid).Task);

    protected static bool IsAlive(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Kills, by id, every process of <paramref name="pids"/> still running, and waits for each to exit.</summary>
    /// <param name="pids">The processes a test started.</param>
    /// <param name="output">Where each kill is reported.</param>
    /// <returns>A task that completes when they are gone.</returns>
    internal static async Task KillLeftoversAsync(IEnumerable<int> pids, ITestOutputHelper output)
    {
        foreach (int pid in pids.Distinct())
        {
            try
            {
                using Process process = Process.GetProcessById(pid);
                if (!process.HasExited)
                {
                    output.WriteLine($"cleanup: killing leftover pid {pid}");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None).WaitAsync(UnexpectedTimeout);
                }
            }
            catch (ArgumentException)
            {
                // Gone already.
            }
        }
    }

    private TaskCompletionSource<MiniProcessExitedEventArgs> ExitSignal(int pid) =>
        this.exitSignals.GetOrAdd(pid, _ => new TaskCompletionSource<MiniProcessExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously));

    public async Task DisposeAsync()
    {
        if (this.host is not null)
        {
            await this.host.DisposeAsync().AsTask().WaitAsync(UnexpectedTimeout);
        }

        // Whatever the host did, every process this test started ends here, by id.
        int[] pids;
        lock (this.startedPids)
        {
            pids = [.. this.startedPids];
        }

        await KillLeftoversAsync(pids, this.Output);
    }
}
