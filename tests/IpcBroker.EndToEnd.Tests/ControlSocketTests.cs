using System.IO.Pipes;
using System.Text;
using IpcBroker.MainProcess.Cli;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Tests;
using StreamJsonRpc;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The <c>serve</c> host's control socket, served in this process: hello deadline, frame cap, an accept loop that lasts.</summary>
public sealed class ControlSocketTests : HostTestBase
{
    private const string Token = "0123456789abcdef";
    private readonly string directory = Path.Combine(Path.GetTempPath(), "ipcb-ctl-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly CancellationTokenSource stopping = new();
    private Task? serverLoop;

    public ControlSocketTests(ITestOutputHelper output)
        : base(output)
    {
        Directory.CreateDirectory(this.directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string SocketPath => Path.Combine(this.directory, "control.sock");

    [Fact]
    public async Task AClientThatSaysNothingIsClosedAtTheHelloDeadlineWhileOneThatSaidHelloStays()
    {
        this.Serve(new ControlServer(this.SocketPath, this.Context(), this.LoggerFactory.CreateLogger("control")) { HelloTimeout = TimeSpan.FromMilliseconds(500) });
        using JsonRpc greeted = await this.ConnectAndSayHelloAsync();
        await using NamedPipeClientStream silent = await this.ConnectRawAsync();

        // The silent client's connection ends (end of stream), long before the test's budget.
        Assert.Equal(0, await silent.ReadAsync(new byte[1], this.TimeoutToken));

        // By now the deadline has passed for both; the one that said hello is served.
        Assert.Empty(await this.WithTimeoutAsync(greeted.InvokeWithCancellationAsync<MiniAppDto[]>("List", [], this.TimeoutToken)));
        await this.WaitForLogAsync(r => r.EventId == 2018 && r.Message.Contains("no hello"));
    }

    [Fact]
    public async Task AFrameOverTheCapBeforeHelloClosesTheConnectionBeforeItIsRead()
    {
        // A deadline far beyond the test's budget: only the cap can end this connection in time.
        this.Serve(new ControlServer(this.SocketPath, this.Context(), this.LoggerFactory.CreateLogger("control")) { HelloTimeout = TimeSpan.FromHours(1) });
        await using NamedPipeClientStream hostile = await this.ConnectRawAsync();

        await hostile.WriteAsync(Encoding.ASCII.GetBytes("Content-Length: 2000000000\r\n\r\n{\"jsonrpc\":"), this.TimeoutToken);

        Assert.Equal(0, await hostile.ReadAsync(new byte[1], this.TimeoutToken));
        await this.WaitForLogAsync(r => r.EventId == 2018 && r.Message.Contains("2000000000 bytes"));
        using JsonRpc next = await this.ConnectAndSayHelloAsync();
        Assert.Empty(await this.WithTimeoutAsync(next.InvokeWithCancellationAsync<MiniAppDto[]>("List", [], this.TimeoutToken)));
    }

    [Theory]
    [InlineData("Content-Length: 31\r\ncontent-length: 70000\r\n\r\n", "spelled otherwise")]
    [InlineData("Content-Length: 31\r\nContent-Length: 70000\r\n\r\n", "two Content-Length headers")]
    [InlineData("Content-Length: 31\n\n", "not ended by CRLF")]
    public async Task AHeaderTheReaderMightFrameOtherwiseClosesTheConnection(string headers, string reason)
    {
        // Found in review: headers read one way by the guard and another by the JSON-RPC reader let a client slip a
        // 2 GB frame past the cap before hello. Anything ambiguous now closes the connection.
        this.Serve(new ControlServer(this.SocketPath, this.Context(), this.LoggerFactory.CreateLogger("control")) { HelloTimeout = TimeSpan.FromHours(1) });
        await using NamedPipeClientStream hostile = await this.ConnectRawAsync();

        await hostile.WriteAsync(Encoding.ASCII.GetBytes(headers), this.TimeoutToken);

        Assert.Equal(0, await hostile.ReadAsync(new byte[1], this.TimeoutToken));
        await this.WaitForLogAsync(r => r.EventId == 2018 && r.Message.Contains(reason));
    }

    [Fact]
    public async Task TheAcceptLoopGoesOnAfterAnUnexpectedFailure()
    {
        int accepts = 0;
        this.Serve(new ControlServer(this.SocketPath, this.Context(), this.LoggerFactory.CreateLogger("control"))
        {
            AfterAccept = () =>
            {
                if (Interlocked.Increment(ref accepts) == 1)
                {
                    throw new InvalidOperationException("a bug in the accept loop");
                }
            },
        });
        await using (NamedPipeClientStream first = await this.ConnectRawAsync())
        {
            Assert.Equal(0, await first.ReadAsync(new byte[1], this.TimeoutToken));
        }

        using JsonRpc second = await this.ConnectAndSayHelloAsync();

        Assert.Empty(await this.WithTimeoutAsync(second.InvokeWithCancellationAsync<MiniAppDto[]>("List", [], this.TimeoutToken)));
        Assert.IsType<InvalidOperationException>((await this.WaitForLogAsync(r => r.EventId == 2015)).Exception);
        Assert.False(this.serverLoop!.IsCompleted);
    }

    [Fact]
    public async Task AClientInsideAMiniProcessTreeIsRefusedBeforeItIsReadWhileANormalClientIsServed()
    {
        // The "mini program" is a script that runs the real command line client as its child, then exits: the client
        // connects while its parent is one of the host's mini processes (starting, so in ProcessIds).
        this.ExtendTimeout(ManyProcessesTimeout);
        string connection = Path.Combine(this.directory, "serve.json");
        string clientOutput = Path.Combine(this.directory, "client.out");
        string clientCode = Path.Combine(this.directory, "client.code");
        string script = Path.Combine(this.directory, "mini.sh");
        File.WriteAllText(script, $"""
            #!/bin/sh
            '{ProcessProbe.DotnetHost}' '{CommandLineTests.HostExecutable}' list --connection '{connection}' > '{clientOutput}' 2>&1
            echo $? > '{clientCode}'
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var server = new ControlServer(this.SocketPath, this.Context(this.HostOptions with
        {
            MiniExecutablePath = script,
            StartTimeout = TimeSpan.FromSeconds(60),

            // No spare: a spare would run this script too, and its own client (not a descendant of a mini program's process)
            // would write its served answer into the same output file, racing the refused one.
            SpareProcesses = 0,

            // This test is about the peer check: sandboxed, the client could not even create its socket (the escape tests show that).
            Sandbox = new MiniSandboxOptions { Mode = MiniSandboxMode.Off },
        }), this.LoggerFactory.CreateLogger("control"));
        this.Serve(server);
        new ConnectionFile(this.SocketPath, Token, Environment.ProcessId).Write(connection);

        // The script never says hello, so its start fails once it has exited, after its client is done.
        await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(this.Host.StartMiniAppAsync("wx-inside", MiniAppVerType.Release, this.TimeoutToken)));

        string output = await File.ReadAllTextAsync(clientOutput, this.TimeoutToken);
        this.Output.WriteLine("client inside the mini process: " + output);
        Assert.Equal("2", (await File.ReadAllTextAsync(clientCode, this.TimeoutToken)).Trim());
        Assert.StartsWith("error: ", output);
        TestLogRecord refusal = await this.WaitForLogAsync(r => r.EventId == 2030);
        Assert.Contains("it descends from mini process ", refusal.Message);
        Assert.Equal(1, server.RefusedPeers);

        using JsonRpc normal = await this.ConnectAndSayHelloAsync();
        Assert.Empty(await this.WithTimeoutAsync(normal.InvokeWithCancellationAsync<MiniAppDto[]>("List", [], this.TimeoutToken)));
        Assert.Equal(1, server.RefusedPeers);
    }

    public override void Dispose()
    {
        // The loop returns on its own once stopped; it removes nothing, so the directory can go now.
        this.stopping.Cancel();
        this.stopping.Dispose();
        base.Dispose();
        Directory.Delete(this.directory, recursive: true);
    }

    private ServeContext Context(MiniAppHostOptions? options = null)
    {
        this.StartHost(options);

        // No verb here calls the main side as a mini program, so no in-memory connection is needed.
        return new ServeContext(this.Host, Token, new CallBroadcaster(), null!);
    }

    private void Serve(ControlServer server) => this.serverLoop = server.RunAsync(this.stopping.Token);

    private async Task<NamedPipeClientStream> ConnectRawAsync()
    {
        var pipe = new NamedPipeClientStream(".", this.SocketPath, PipeDirection.InOut, PipeOptions.Asynchronous);
        await pipe.ConnectAsync(this.TimeoutToken);
        return pipe;
    }

    private async Task<JsonRpc> ConnectAndSayHelloAsync()
    {
        var rpc = JsonRpc.Attach(await this.ConnectRawAsync());
        await this.WithTimeoutAsync(rpc.InvokeWithCancellationAsync("Hello", [Token], this.TimeoutToken));
        return rpc;
    }
}
