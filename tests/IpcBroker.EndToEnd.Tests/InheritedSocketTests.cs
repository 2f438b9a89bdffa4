using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The mini side of the launch line's <c>socketFd</c>: a mini client that is handed a descriptor already connected to its
/// host speaks the whole protocol on it, once. The test plays the host on a real Unix socket it connects itself.
/// </summary>
public class InheritedSocketTests(ITestOutputHelper output) : TestBase(output)
{
    private readonly string socketPath = Path.Combine(Path.GetTempPath(), "ipcb-fd-" + Guid.NewGuid().ToString("N")[..12] + ".sock");

    [Fact]
    public async Task AClientHandedAConnectedDescriptorHandshakesAndCallsBothWaysOnIt()
    {
        using Socket listener = this.Listen();
        int fd = await this.ConnectedDescriptorAsync();
        Task<Socket> accepted = listener.AcceptAsync(this.TimeoutToken).AsTask();
        byte[] secret = RandomNumberGenerator.GetBytes(Handshake.SecretBytes);

        // The pipe path names a socket nobody listens on: the client must not connect anywhere, only use the descriptor.
        var launch = new MiniLaunchInfo("/nonexistent/host.sock", Convert.ToBase64String(secret), "wx-fd", MiniAppVerType.Release, Handshake.ProtocolVersion, Environment.ProcessId, null, fd);
        var miniRegistry = new IpcEventRegistry(IpcSide.Mini);
        miniRegistry.AddHandler("fd.echo", request => Task.FromResult(request.Data));
        Task<MiniProcessClient> connecting = MiniProcessClient.ConnectAsync(launch, miniRegistry, loggerFactory: this.LoggerFactory, cancellationToken: this.TimeoutToken);

        // The host's side of the handshake, on the accepted end.
        await using var hostEnd = new NetworkStream(await this.WithTimeoutAsync(accepted), ownsSocket: true);
        (int version, byte[] presented) = await this.WithTimeoutAsync(Handshake.ReadHelloAsync(hostEnd, this.TimeoutToken));
        Assert.Equal(Handshake.ProtocolVersion, version);
        Assert.Equal(secret, presented);
        await this.WithTimeoutAsync(Handshake.WriteVerdictAsync(hostEnd, HandshakeStatus.Accepted, "accepted", this.TimeoutToken));
        var mainRegistry = new IpcEventRegistry(IpcSide.Main);
        mainRegistry.AddHandler("fd.hello", _ => Task.FromResult(new Bundle().PutString("from", "host")));
        await using IpcConnection host = IpcConnection.Start(hostEnd, mainRegistry, new IpcCaller(IpcSide.Mini, "wx-fd", MiniAppVerType.Release, Environment.ProcessId));
        await using MiniProcessClient client = await this.WithTimeoutAsync(connecting);

        IpcResult toMini = await this.WithTimeoutAsync(host.CallAsync("fd.echo", new Bundle().PutInt("n", 7)));
        IpcResult toHost = await this.WithTimeoutAsync(client.CallMainProcessPluginAsync("fd.hello", null));

        Assert.True(toMini.IsSuccess, toMini.ToString());
        Assert.Equal(7, toMini.Data.GetInt("n"));
        Assert.True(toHost.IsSuccess, toHost.ToString());
        Assert.Equal("host", toHost.Data.GetString("from"));

        // The client owns the descriptor now, and marked it close-on-exec: a child it starts does not get the connection.
        Assert.Equal(FdCloExec, Fcntl(fd, FGetFd, 0) & FdCloExec);

        // A second launch line naming the same descriptor is refused: by then the number may name another file.
        var again = await Assert.ThrowsAsync<IOException>(() => MiniProcessClient.ConnectAsync(launch with { Secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }, new IpcEventRegistry(IpcSide.Mini), cancellationToken: this.TimeoutToken));
        Assert.Contains("used already", again.Message);
    }

    [Fact]
    public async Task ADescriptorThatIsNotASocketIsAClearError()
    {
        int fd = Open("/dev/null", OCloExec);
        Assert.True(fd >= 0);
        var launch = new MiniLaunchInfo("/nonexistent/host.sock", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), "wx-fd", MiniAppVerType.Release, Handshake.ProtocolVersion, Environment.ProcessId, null, fd);

        var ex = await Assert.ThrowsAsync<IOException>(() => MiniProcessClient.ConnectAsync(launch, new IpcEventRegistry(IpcSide.Mini), cancellationToken: this.TimeoutToken));

        Assert.Contains("not a socket", ex.Message);
    }

    [Fact]
    public void TheLaunchLineCarriesTheDescriptorAndOmitsItWhenAbsent()
    {
        var launch = new MiniLaunchInfo("/tmp/ipcb-x/host.sock", "c2VjcmV0c2VjcmV0c2VjcmV0", "wx-fd", MiniAppVerType.Release, Handshake.ProtocolVersion, 1, null, 3);

        Assert.Contains("\"socketFd\":3", launch.ToLine());
        Assert.Equal(3, MiniLaunchInfo.Parse(launch.ToLine()).SocketFd);
        Assert.Null(MiniLaunchInfo.Parse((launch with { SocketFd = null }).ToLine()).SocketFd);
        Assert.Throws<FormatException>(() => MiniLaunchInfo.Parse(launch.ToLine().Replace("\"socketFd\":3", "\"socketFd\":-1", StringComparison.Ordinal)));
        Assert.Equal(3, Handshake.ProtocolVersion);
    }

    public override void Dispose()
    {
        base.Dispose();
        File.Delete(this.socketPath);
    }

    private Socket Listen()
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(this.socketPath));
        listener.Listen();
        return listener;
    }

    /// <summary>Connects a socket to the listener and returns a descriptor of its own for it (the socket object is closed).</summary>
    private async Task<int> ConnectedDescriptorAsync()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(this.socketPath), this.TimeoutToken);
        int fd = Dup((int)socket.SafeHandle.DangerousGetHandle());
        Assert.True(fd >= 0, $"dup failed with errno {Marshal.GetLastPInvokeError()}");
        return fd;
    }

    private const int FGetFd = 1;
    private const int FdCloExec = 1;
    private const int OCloExec = 0x80000;

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
