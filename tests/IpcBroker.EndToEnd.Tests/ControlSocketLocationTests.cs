using IpcBroker.MainProcess.Cli;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary><see cref="ControlSocketLocation"/>: a private directory beside the connection file, never where a mini process is given.</summary>
public sealed class ControlSocketLocationTests : TestBase
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-loc-" + Guid.NewGuid().ToString("N")[..8]);

    public ControlSocketLocationTests(ITestOutputHelper output)
        : base(output)
    {
        Directory.CreateDirectory(this.root);
    }

    [Fact]
    public void TheSocketGetsAPrivateDirectoryOfItsOwnBesideTheConnectionFile()
    {
        string connection = Path.Combine(this.root, "run", "serve.json");

        string socket = ControlSocketLocation.Create(connection, [Path.Combine(this.root, "pipe"), Path.Combine(this.root, "sandboxes")]);

        string directory = Path.GetDirectoryName(socket)!;
        Assert.Equal(Path.Combine(this.root, "run"), Path.GetDirectoryName(directory));
        Assert.Matches("^control-[0-9a-f]{16}$", Path.GetFileName(directory));
        Assert.Equal("control.sock", Path.GetFileName(socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(directory)!));

        ControlSocketLocation.Delete(socket);
        Assert.False(Directory.Exists(directory));
    }

    [Theory]
    [InlineData("sandboxes/u-1/serve.json", "which mini processes are given")]
    [InlineData("pipe/serve.json", "which mini processes are given")]
    [InlineData("ipcbm-0123456789abcdef/serve.json", "scratch directory")]
    public void AConnectionFileWithinAMiniProcesssReachIsRefused(string connection, string reason)
    {
        CliException refused = Assert.Throws<CliException>(() => ControlSocketLocation.Create(Path.Combine(this.root, connection), [Path.Combine(this.root, "pipe"), Path.Combine(this.root, "sandboxes")]));

        Assert.Contains(reason, refused.Message);
        Assert.Empty(Directory.GetDirectories(this.root, "control-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void OnlyADeadHostsOwnControlDirectoryIsRemovedAsStale()
    {
        string connection = Path.Combine(this.root, "serve.json");
        string ours = ControlSocketLocation.Create(connection, []);
        File.WriteAllText(ours, "a socket left by a killed host");
        string foreign = Path.Combine(this.root, "elsewhere", "control.sock");
        Directory.CreateDirectory(Path.GetDirectoryName(foreign)!);
        File.WriteAllText(foreign, "not ours");

        ControlSocketLocation.RemoveStale(connection, ours);
        ControlSocketLocation.RemoveStale(connection, foreign);

        Assert.False(Directory.Exists(Path.GetDirectoryName(ours)));
        Assert.True(File.Exists(foreign));
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(this.root, recursive: true);
    }
}
