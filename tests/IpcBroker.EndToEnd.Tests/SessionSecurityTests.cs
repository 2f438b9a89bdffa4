using System.Diagnostics;
using System.IO.Pipes;
using System.Security.Cryptography;
using System.Text;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Sessions;
using IpcBroker.TestMiniApp;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>Who may connect, and what an impostor or a broken client gets.</summary>
public class SessionSecurityTests(ITestOutputHelper output) : HostTestBase(output)
{
    [Fact]
    public void PipeLivesInADirectoryOnlyTheUserCanEnter()
    {
        this.StartHost();
        string directory = Path.GetDirectoryName(this.Host.PipePath)!;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Contains(this.Host.PipePath, Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task ASecondServerCannotTakeThePipeOver()
    {
        this.StartHost();

        var ex = Record.Exception(() => new NamedPipeServerStream(this.Host.PipePath, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly | PipeOptions.FirstPipeInstance));

        Assert.True(ex is IOException or UnauthorizedAccessException, ex?.ToString() ?? "no exception: the pipe could be taken over");

        // The host still admits its mini processes.
        await this.OpenAsync("wx-after-takeover-attempt");
        Assert.True((await this.WithTimeoutAsync(this.Host.CallMiniProcessPluginAsync("wx-after-takeover-attempt", TestEvents.Echo, null))).IsSuccess);
    }

    [Fact]
    public void TooLongPipePathFailsAtStartWithAClearError()
    {
        string longRoot = Path.Combine(Path.GetTempPath(), new string('d', 120));

        var ex = Assert.Throws<IpcConfigurationException>(() => this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, RuntimeDirectory = longRoot }));

        Assert.Contains("107 bytes", ex.Message);
        Assert.False(Directory.Exists(longRoot));
    }

    [Fact]
    public async Task AHostRemovesThePipeDirectoriesOfHostsThatDiedButNothingElse()
    {
        string root = Path.Combine(Path.GetTempPath(), "ipcb-sweep-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(root);
        try
        {
            // Another host, alive, whose socket is as old as a dead one's.
            await using MiniAppHost live = MiniAppHost.Start(new Plugins.IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, RuntimeDirectory = root });
            DateTime old = DateTime.UtcNow - TimeSpan.FromMinutes(5);
            File.SetLastWriteTimeUtc(live.PipePath, old);

            string dead = NewPipeDirectory(root);
            MakeDeadSocket(Path.Combine(dead, "host.sock"), old);
            MakeDeadSocket(Path.Combine(dead, "control.sock"), old);
            string young = NewPipeDirectory(root);
            MakeDeadSocket(Path.Combine(young, "host.sock"), DateTime.UtcNow);
            string withAFile = NewPipeDirectory(root);
            MakeDeadSocket(Path.Combine(withAFile, "host.sock"), old);
            await File.WriteAllTextAsync(Path.Combine(withAFile, "notes.txt"), "not a socket", this.TimeoutToken);
            string emptyOld = NewPipeDirectory(root);
            Directory.SetLastWriteTimeUtc(emptyOld, old);
            string emptyYoung = NewPipeDirectory(root);
            string notAHostsName = Path.Combine(root, "ipcb-other");
            Directory.CreateDirectory(notAHostsName);
            MakeDeadSocket(Path.Combine(notAHostsName, "host.sock"), old);

            this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, RuntimeDirectory = root });

            Assert.False(Directory.Exists(dead), "the dead host's directory is removed");
            Assert.True(File.Exists(live.PipePath), "a live host's socket stays");
            Assert.True(File.Exists(Path.Combine(young, "host.sock")), "a socket younger than a minute stays: its host may be starting");
            Assert.True(File.Exists(Path.Combine(withAFile, "host.sock")), "a directory with anything but sockets in it stays");
            Assert.True(File.Exists(Path.Combine(notAHostsName, "host.sock")), "a directory not named as hosts name theirs stays");
            Assert.False(Directory.Exists(emptyOld), "an empty directory older than a minute is removed: its host died before binding, or its socket went");
            Assert.True(Directory.Exists(emptyYoung), "an empty directory younger than a minute stays: its host may be starting");
            Assert.True(File.Exists(this.Host.PipePath));
            Assert.Equal(2, this.Logs.Records.Count(r => r.EventId == 2014));
            Assert.Contains(this.Logs.Records, r => r.EventId == 2014 && r.Message.Contains(dead + ":", StringComparison.Ordinal));
            Assert.Contains(this.Logs.Records, r => r.EventId == 2014 && r.Message.Contains(emptyOld + ":", StringComparison.Ordinal));

            // The live host still admits its mini processes.
            MiniAppInfo mini = await this.WithTimeoutAsync(live.StartMiniAppAsync("wx-live", MiniAppVerType.Release, this.TimeoutToken));
            this.TrackPid(mini.ProcessId);
            Assert.Equal(IpcErrorCode.None, (await this.WithTimeoutAsync(live.CallMiniProcessPluginAsync("wx-live", TestEvents.Echo, null))).ErrorCode);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        static string NewPipeDirectory(string root)
        {
            string directory = Path.Combine(root, PipeLocation.DirectoryPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return directory;
        }

        // A socket file that no process has bound any more: what a host killed by SIGKILL leaves. A .NET socket deletes
        // the file it bound when it is closed, so it binds another name and the file is renamed before the close.
        static void MakeDeadSocket(string path, DateTime lastWrite)
        {
            using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
            {
                socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path + ".bind"));
                File.Move(path + ".bind", path);
            }

            File.SetLastWriteTimeUtc(path, lastWrite);
        }
    }

    [Fact]
    public void MissingMiniExecutableFailsAtStartWithAClearError()
    {
        var ex = Assert.Throws<IpcConfigurationException>(() => this.StartHost(new MiniAppHostOptions { MiniExecutablePath = "/nonexistent/mini.dll" }));
        Assert.Contains("/nonexistent/mini.dll", ex.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc")]
    [InlineData("wx app")]
    [InlineData("..")]
    public async Task AnInvalidAppIdIsRefusedBeforeAnyProcessStarts(string appId)
    {
        this.StartHost();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => this.Host.StartMiniAppAsync(appId));

        Assert.Contains("not a valid appId", ex.Message);
        Assert.Empty(this.Host.RunningMiniApps);
    }

    [Fact]
    public async Task AnUnknownSecretIsDeniedAndNothingIsDispatched()
    {
        bool dispatched = false;
        this.MainRegistry.AddHandler("main.touch", (IpcRequest r) => { dispatched = true; r.Ok(); });
        this.StartHost();
        await using var pipe = await this.ConnectRawAsync();

        var ex = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.SendHelloAsync(pipe, RandomNumberGenerator.GetBytes(32), Handshake.ProtocolVersion, this.TimeoutToken));

        Assert.Equal(HandshakeStatus.Denied, ex.Status);
        await this.AssertClosedByHostAsync(pipe);
        await this.WaitForLogAsync(r => r.EventId == 2002 && r.Message.Contains("unknown, used or revoked secret"));
        Assert.False(dispatched);
    }

    [Fact]
    public async Task AnotherProtocolVersionIsRefusedNamingBoth()
    {
        this.StartHost();
        await using var pipe = await this.ConnectRawAsync();

        var ex = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.SendHelloAsync(pipe, RandomNumberGenerator.GetBytes(32), Handshake.ProtocolVersion + 1, this.TimeoutToken));

        Assert.Equal(HandshakeStatus.VersionMismatch, ex.Status);
        Assert.Contains($"protocol version {Handshake.ProtocolVersion}", ex.Message);
        Assert.Contains($"{Handshake.ProtocolVersion + 1}", ex.Message);
    }

    [Fact]
    public async Task GarbageInsteadOfAHelloIsClosed()
    {
        this.StartHost();
        await using var pipe = await this.ConnectRawAsync();

        await pipe.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), this.TimeoutToken);

        await this.AssertClosedByHostAsync(pipe);
        await this.WaitForLogAsync(r => r.EventId == 2002 && r.Message.Contains("hello"));
    }

    [Fact]
    public async Task ASilentConnectionIsClosedAtTheHandshakeDeadline()
    {
        this.StartHost(new MiniAppHostOptions { MiniExecutablePath = TestMiniAppPath, HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        await using var pipe = await this.ConnectRawAsync();

        await this.AssertClosedByHostAsync(pipe);
        await this.WaitForLogAsync(r => r.EventId == 2002 && r.Message.Contains("handshake timeout"));

        // The listener kept accepting meanwhile: a second connection gets a verdict. (Not a real mini process: a cold
        // process under load can take longer than this test's deliberately short handshake deadline.)
        await using var second = await this.ConnectRawAsync();
        var ex = await Assert.ThrowsAsync<HandshakeException>(() => Handshake.SendHelloAsync(second, RandomNumberGenerator.GetBytes(32), Handshake.ProtocolVersion, this.TimeoutToken));
        Assert.Equal(HandshakeStatus.Denied, ex.Status);
    }

    [Fact]
    public async Task TheSecretTravelsOnStandardInputNotArgvOrEnvironment()
    {
        this.StartHost();
        MiniAppInfo mini = await this.OpenAsync("wx-secret");

        string[] argv = (await File.ReadAllTextAsync($"/proc/{mini.ProcessId}/cmdline", this.TimeoutToken)).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        string[] environment = (await File.ReadAllTextAsync($"/proc/{mini.ProcessId}/environ", this.TimeoutToken)).Split('\0', StringSplitOptions.RemoveEmptyEntries);

        // The command line is the runtime and the app, nothing more; nothing in either names the pipe or holds a secret-sized token.
        Assert.Equal(TestMiniAppPath, argv.Last());
        Assert.Equal(2, argv.Length);
        Assert.DoesNotContain(environment, e => e.Contains(this.Host.PipePath, StringComparison.Ordinal) || e.Contains("ipcb-", StringComparison.Ordinal));
        Assert.DoesNotContain(argv.Concat(environment), e => System.Text.RegularExpressions.Regex.IsMatch(e, "[A-Za-z0-9+/]{43}="));
    }

    [Fact]
    public async Task AMiniProcessStartedWithoutALaunchLineExitsWithAClearError()
    {
        var startInfo = new ProcessStartInfo(Path.Combine(Path.GetDirectoryName(Environment.ProcessPath!)!, "dotnet"))
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        startInfo.FileName = File.Exists(startInfo.FileName) ? startInfo.FileName : "dotnet";
        startInfo.ArgumentList.Add(TestMiniAppPath);
        using Process process = Process.Start(startInfo)!;
        this.TrackPid(process.Id);
        process.StandardInput.Close();

        Task<string> stderr = process.StandardError.ReadToEndAsync(this.TimeoutToken);
        await this.WithTimeoutAsync(process.WaitForExitAsync(this.TimeoutToken));

        Assert.Equal(2, process.ExitCode); // MiniProcessRuntime.ExitBadLaunchInfo
        Assert.Contains("launch line is empty", await stderr);
    }

    private async Task<NamedPipeClientStream> ConnectRawAsync()
    {
        var pipe = new NamedPipeClientStream(".", this.Host.PipePath, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        await pipe.ConnectAsync(this.TimeoutToken);
        return pipe;
    }

    private async Task AssertClosedByHostAsync(Stream pipe)
    {
        byte[] buffer = new byte[256];
        while (true)
        {
            int read;
            try
            {
                read = await pipe.ReadAsync(buffer, this.TimeoutToken);
            }
            catch (IOException)
            {
                return;
            }

            if (read == 0)
            {
                return;
            }
        }
    }
}
