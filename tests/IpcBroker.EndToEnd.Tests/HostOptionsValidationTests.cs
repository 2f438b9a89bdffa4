using System.Globalization;
using System.Reflection;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Platform;
using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The host's options at its start: every time span checked, and a copy taken that the caller's later changes do not reach.</summary>
public class HostOptionsValidationTests(ITestOutputHelper output) : HostTestBase(output)
{
    /// <summary>Bound from configuration, "3" is three days and "-00:00:00.001" is infinite: none of it is a shutdown timeout.</summary>
    [Theory]
    [InlineData("-00:00:00.001")]
    [InlineData("3")]
    [InlineData("-00:00:05")]
    [InlineData("00:00:00")]
    [InlineData("00:10:00.001")]
    public void AShutdownTimeoutThatIsNotAShortPositiveSpanIsRefusedAtStart(string configured)
    {
        TimeSpan value = TimeSpan.Parse(configured, CultureInfo.InvariantCulture);
        var options = new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, ShutdownTimeout = value };
        IpcConfigurationException refused = Assert.Throws<IpcConfigurationException>(() => this.StartHost(options));
        Assert.Contains("ShutdownTimeout", refused.Message);
        Assert.Contains(value.ToString("c", CultureInfo.InvariantCulture), refused.Message);
    }

    [Fact]
    public void EveryTimeSpanTheHostReliesOnIsChecked()
    {
        TimeSpan infinite = Timeout.InfiniteTimeSpan;
        var bad = new (string Name, MiniAppHostOptions Options)[]
        {
            ("StartTimeout", new() { MiniExecutablePath = TestMiniAppPath, StartTimeout = infinite }),
            ("HandshakeTimeout", new() { MiniExecutablePath = TestMiniAppPath, HandshakeTimeout = TimeSpan.FromDays(1) }),
            ("ReapTimeout", new() { MiniExecutablePath = TestMiniAppPath, ReapTimeout = infinite }),
            ("ChildOutputRateWindow", new() { MiniExecutablePath = TestMiniAppPath, ChildOutputRateWindow = TimeSpan.Zero }),
            ("Connection.StalledWriteTimeout", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { StalledWriteTimeout = infinite } }),
            ("Connection.FrameReadTimeout", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { FrameReadTimeout = TimeSpan.FromSeconds(-1) } }),
            ("Connection.UnclaimedChannelTimeout", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { UnclaimedChannelTimeout = TimeSpan.Zero } }),
            ("Connection.PayloadChannelIdleTimeout", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { PayloadChannelIdleTimeout = infinite } }),
            ("Connection.DefaultCallTimeout", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { DefaultCallTimeout = infinite } }),
            ("Connection.MaxCallTimeout", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { MaxCallTimeout = TimeSpan.FromDays(3) } }),
            ("LogoutParticipantTimeout", new() { MiniExecutablePath = TestMiniAppPath, LogoutParticipantTimeout = infinite }),
            ("Connection.EventTimeouts[x.y]", new() { MiniExecutablePath = TestMiniAppPath, Connection = new() { EventTimeouts = new Dictionary<string, TimeSpan> { ["x.y"] = TimeSpan.FromSeconds(-5) } } }),
        };
        foreach ((string name, MiniAppHostOptions options) in bad)
        {
            IpcConfigurationException refused = Assert.Throws<IpcConfigurationException>(() => this.StartHost(options));
            Assert.Contains(name, refused.Message);
        }

        // At the bounds: ten minutes is allowed, and so is a reap timeout of zero (the tests' seam).
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, StartTimeout = TimeSpan.FromMinutes(10), ReapTimeout = TimeSpan.Zero });
    }

    /// <summary>A default call timeout above the largest allowed one would have every call without its own refused.</summary>
    [Fact]
    public void ADefaultCallTimeoutAboveTheMaximumIsRefusedAtStart()
    {
        var options = new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, Connection = new() { DefaultCallTimeout = TimeSpan.FromMinutes(2), MaxCallTimeout = TimeSpan.FromMinutes(1) } };

        IpcConfigurationException refused = Assert.Throws<IpcConfigurationException>(() => this.StartHost(options));

        Assert.Contains("DefaultCallTimeout", refused.Message);
        Assert.Contains("MaxCallTimeout", refused.Message);
    }

    /// <summary>The sandbox's collections are the caller's objects: a set changed after the start must not grant network to a mini program.</summary>
    [Fact]
    public void TheHostCopiesTheSandboxCollectionsAtStart()
    {
        var network = new HashSet<string>(StringComparer.Ordinal) { "wx-net" };
        var readOnly = new List<string> { "/usr/share" };
        string granted = Directory.CreateTempSubdirectory("ipc-rw-").FullName;
        var readWrite = new List<string> { granted };
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["A"] = "1" };
        var options = new MiniAppHostOptions
        {
            MiniExecutablePath = TestMiniAppPath,
            Sandbox = new MiniSandboxOptions { NetworkAppIds = network, ReadOnlyPaths = readOnly, ReadWritePaths = readWrite, Environment = environment },
        };
        MiniAppHost host = this.StartHost(options);

        network.Add("wx-sneaky");
        readOnly.Add("/etc");
        readWrite.Add("/home");
        environment["B"] = "2";
        MiniSandboxOptions seen = OptionsOf(host).Sandbox;
        Assert.Equal(["wx-net"], seen.NetworkAppIds);
        Assert.Equal(["/usr/share"], seen.ReadOnlyPaths);
        Assert.Equal([granted], seen.ReadWritePaths);
        Assert.Equal(["A"], seen.Environment.Keys);
        Directory.Delete(granted);
    }

    /// <summary>A host on another transport (the testing kit's) takes the same copy.</summary>
    [Fact]
    public async Task AHostOnAnotherTransportCopiesAndChecksItsOptionsToo()
    {
        var network = new HashSet<string>(StringComparer.Ordinal);
        var options = new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, MaxMiniProcesses = 2, Sandbox = new MiniSandboxOptions { NetworkAppIds = network } };
        string pipePath = HostPlatform.Current.CreatePrivateSocketPath(null);
        var transport = new PipeMiniProcessTransport(options, pipePath, NullLoggerFactory.Instance);
        transport.Start();
        MiniAppHost host = MiniAppHost.StartWithTransport(this.MainRegistry, options, null, transport);
        try
        {
            options.MaxMiniProcesses = 1;
            network.Add("wx-sneaky");
            Assert.Equal(2, host.MaxMiniProcesses);
            Assert.Empty(OptionsOf(host).Sandbox.NetworkAppIds);

            Assert.Throws<IpcConfigurationException>(() => MiniAppHost.StartWithTransport(this.MainRegistry, options with { ShutdownTimeout = Timeout.InfiniteTimeSpan }, null, transport));
        }
        finally
        {
            await this.WithTimeoutAsync(host.DisposeAsync().AsTask());
        }
    }

    private static MiniAppHostOptions OptionsOf(MiniAppHost host) =>
        (MiniAppHostOptions)typeof(MiniAppHost).GetField("options", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(host)!;
}
