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
}
