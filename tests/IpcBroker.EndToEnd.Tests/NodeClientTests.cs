using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.OpenApi;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// docs/protocol.md, proved: a mini program process written in JavaScript (tests/node-client, on Node.js with the npm
/// packages nerdbank-streams and @msgpack/msgpack, installed here by the test itself) is started by a real host, passes the
/// handshake, and makes calls both ways.
/// </summary>
public class NodeClientTests(ITestOutputHelper output) : HostTestBase(output)
{
    private static readonly string ClientDirectory = Path.GetFullPath(typeof(NodeClientTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "NodeClientDirectory").Value!);

    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static bool installed;

    [Fact]
    public async Task AJavaScriptMiniProgramConnectsAndCallsBothWays()
    {
        await this.InstallClientAsync();
        IpcCaller? launchCaller = null;
        this.MainRegistry.AddHandler(WellKnownEvents.GetUserId, request =>
        {
            launchCaller = request.Caller;
            return Task.FromResult(new Bundle().PutString("userId", "u-1001").PutString("seenClient", request.Data.GetString("client")));
        });
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = Path.Combine(ClientDirectory, "node-mini") });

        MiniAppInfo node = await this.OpenAsync("wx-node", MiniAppVerType.Develop);
        Bundle sent = new Bundle()
            .PutString("s", "héllo")
            .PutInt("i", 7)
            .PutLong("l", 1L << 40)
            .PutBoolean("b", true)
            .PutNull("n")
            .PutByteArray("bytes", [1, 2, 3])
            .PutStringArray("strings", ["a", "b"])
            .PutIntArray("ints", [1, -2])
            .PutIntArray("noInts", [])
            .PutDouble("d", 2.5)
            .PutDouble("whole", 2.0) // JavaScript writes it back as an integer; the spec says a reader takes that as a double
            .PutLongArray("longs", [1, long.MaxValue])
            .PutDoubleArray("doubles", [0.5, 3.0])
            .PutBundle("nested", new Bundle().PutString("k", "v"))
            .PutBundleList("list", [new Bundle().PutInt("x", 1)]);
        IpcResult echoed = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-node", "node.echo", sent));
        IpcResult added = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-node", "node.add", new Bundle().PutInt("a", 40).PutInt("b", 2)));
        Bundle large = new Bundle().PutByteArray("blob", RandomNumberGenerator.GetBytes(1024 * 1024)).PutString("tail", "end");
        IpcResult echoedLarge = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-node", "node.echo", large));
        IpcResult missing = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-node", "node.nothing", null));

        Assert.True(echoed.IsSuccess, echoed.ToString());
        Assert.Equal(sent, echoed.Data);
        Assert.True(echoedLarge.IsSuccess, echoedLarge.ToString());
        Assert.Equal(large, echoedLarge.Data); // 1 MiB to node and back, each way on a payload channel (section 6)
        Assert.True(added.IsSuccess, added.ToString());
        Assert.Equal(42, added.Data.GetInt("sum"));
        Assert.StartsWith("node v", added.Data.GetString("runtime"));
        Assert.Equal("u-1001", added.Data.GetString("launchUserId"));
        Assert.Equal(IpcErrorCode.NoHandler, missing.ErrorCode);
        Assert.Equal(new IpcCaller(IpcSide.Mini, "wx-node", MiniAppVerType.Develop, node.ProcessId), launchCaller);

        Assert.True(await this.WithTimeoutAsync(this.Host.StopMiniAppAsync("wx-node")));
        MiniProcessExitedEventArgs exit = await this.WaitForExitNoticeAsync(node.ProcessId);
        Assert.Equal(0, exit.ExitCode);
    }

    [Fact]
    public async Task FiveThousandCallsEachWayCarryWellOverAMebibyteOnChannelZero()
    {
        await this.InstallClientAsync();
        this.MainRegistry.AddHandler(WellKnownEvents.GetUserId, _ => Task.FromResult(new Bundle().PutString("userId", "u-1001")));
        this.MainRegistry.AddHandler("host.echo", request => Task.FromResult(request.Data));
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = Path.Combine(ClientDirectory, "node-mini") });
        await this.OpenAsync("wx-node", MiniAppVerType.Develop);
        const int Calls = 5000;
        string pad = new('p', 300); // 5,000 x 300 bytes: about 1.4 MiB each way inline on channel 0, more than its window

        // Host to node, 32 at a time.
        int next = -1, succeeded = 0;
        async Task WorkerAsync()
        {
            for (int i = Interlocked.Increment(ref next); i < Calls; i = Interlocked.Increment(ref next))
            {
                IpcResult added = await this.Host.CallMiniProcessPluginAsync("wx-node", "node.add", new Bundle().PutInt("a", i).PutInt("b", 1).PutString("pad", pad));
                Assert.True(added.IsSuccess, added.ToString());
                Assert.Equal(i + 1, added.Data.GetInt("sum"));
                Interlocked.Increment(ref succeeded);
            }
        }

        await this.WithTimeoutAsync(Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(WorkerAsync))));

        // Node to host: node.callHost makes the calls and reports how many succeeded (each echoes its index and pad back).
        IpcResult fromNode = await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync(
            "wx-node",
            "node.callHost",
            new Bundle().PutString("event", "host.echo").PutInt("count", Calls).PutInt("padBytes", pad.Length),
            new IpcCallOptions { Timeout = TimeSpan.FromSeconds(60) }));

        Assert.Equal(Calls, succeeded);
        Assert.True(fromNode.IsSuccess, fromNode.ToString());
        Assert.Equal(Calls, fromNode.Data.GetInt("succeeded"));
    }

    /// <summary>Runs <c>npm ci</c> once per test run in tests/node-client, bounded, and fails with npm's output if it cannot.</summary>
    private async Task InstallClientAsync()
    {
        await InstallGate.WaitAsync(this.TimeoutToken);
        try
        {
            if (installed)
            {
                return;
            }

            var startInfo = new ProcessStartInfo("npm") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string argument in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
            {
                startInfo.ArgumentList.Add(argument);
            }

            using Process npm = Process.Start(startInfo) ?? throw new InvalidOperationException("npm could not be started; Node.js and npm are needed for this test.");
            this.TrackPid(npm.Id);
            Task<string> stdout = npm.StandardOutput.ReadToEndAsync(this.TimeoutToken);
            Task<string> stderr = npm.StandardError.ReadToEndAsync(this.TimeoutToken);
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await npm.WaitForExitAsync(deadline.Token);
            this.Output.WriteLine($"npm ci: exit {npm.ExitCode}\n{await stdout}\n{await stderr}");
            Assert.True(npm.ExitCode == 0, "npm ci failed: " + await stderr);
            installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }
}
