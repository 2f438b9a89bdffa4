using System.Runtime.InteropServices;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Platform;
using IpcBroker.Sessions;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The host on a system it has no port to (issue 10, point 7): its start fails at once, naming the system and what is
/// missing, and leaves nothing behind; on Linux it starts as before.
/// </summary>
public sealed class HostPlatformTests(ITestOutputHelper output) : HostTestBase(output)
{
    public static TheoryData<string, string> Unported => new() { { "OSX", "macOS" }, { "WINDOWS", "Windows" }, { "FREEBSD", "FREEBSD" } };

    [Theory]
    [MemberData(nameof(Unported))]
    public void OnASystemWithoutAPortStartFailsAtOnceNamingWhatIsMissing(string system, string named)
    {
        string root = Path.Combine(Path.GetTempPath(), "ipcb-platform-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        try
        {
            using (HostPlatform.PoseAs(HostPlatform.For(OSPlatform.Create(system))))
            {
                var ex = Assert.Throws<PlatformNotSupportedException>(() => this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, RuntimeDirectory = root }));

                Assert.Contains("IpcBroker's host needs Linux", ex.Message);
                Assert.Contains("SO_PEERCRED", ex.Message);
                Assert.Contains($"not implemented for {named}", ex.Message);
            }

            // Failed before it made anything: no socket directory.
            Assert.Empty(Directory.EnumerateFileSystemEntries(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task OnLinuxTheHostStartsThroughItsPort()
    {
        Assert.Same(LinuxHostPlatform.Instance, HostPlatform.For(OSPlatform.Linux));
        Assert.Same(LinuxHostPlatform.Instance, HostPlatform.Current);

        // Posing as Linux is the real thing: a mini program starts and answers.
        using (HostPlatform.PoseAs(HostPlatform.For(OSPlatform.Linux)))
        {
            this.StartHost();
            await this.OpenAsync("wx-platform");
            Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-platform", TestEvents.Echo, null))).IsSuccess);
            Assert.StartsWith(PipeLocation.DirectoryPrefix, Path.GetFileName(Path.GetDirectoryName(this.Host.PipePath)));
        }
    }

    /// <summary>The host goes through its platform for the stale sweep at start and for its socket's removal at disposal.</summary>
    [Fact]
    public async Task TheHostRemovesItsSocketAndSweepsStaleOnesThroughThePlatform()
    {
        var platform = new RecordingPlatform(LinuxHostPlatform.Instance);
        MiniAppHost host;
        using (HostPlatform.PoseAs(platform))
        {
            host = this.StartHost();
            Assert.Single(platform.Swept);
            await this.WithTimeoutAsync(host.DisposeAsync().AsTask());
        }

        Assert.Equal([host.PipePath], platform.Deleted);
        Assert.False(File.Exists(host.PipePath));
    }

    /// <summary>The Linux platform, recording the calls the host makes to it.</summary>
    private sealed class RecordingPlatform(IHostPlatform inner) : IHostPlatform
    {
        public List<string> Deleted { get; } = [];

        public List<string> Swept { get; } = [];

        public string Name => inner.Name;

        public void EnsureSupported() => inner.EnsureSupported();

        public string CreatePrivateSocketPath(string? root) => inner.CreatePrivateSocketPath(root);

        public void DeleteSocket(string socketPath)
        {
            lock (this.Deleted)
            {
                this.Deleted.Add(socketPath);
            }

            inner.DeleteSocket(socketPath);
        }

        public PeerCredentials ReadPeerCredentials(System.IO.Pipes.PipeStream pipe) => inner.ReadPeerCredentials(pipe);

        public IReadOnlyList<string> RemoveStaleSocketDirectories(string root, DateTime now)
        {
            this.Swept.Add(root);
            return inner.RemoveStaleSocketDirectories(root, now);
        }
    }
}
