using System.Diagnostics;
using System.IO.Pipelines;
using System.IO.Pipes;
using System.Net.Sockets;
using IpcBroker.Sessions;
using Nerdbank.Streams;

namespace IpcBroker.HostileMini;

/// <summary>
/// The hostile side of one connection: the socket after an accepted handshake, and (unless the attack wants the raw
/// socket) a MultiplexingStream made as docs/protocol.md section 3 says, with its channel 0 as raw bytes.
/// </summary>
internal sealed class HostileConnection
{
    private long nextId;

    private HostileConnection(Stream socket, MultiplexingStream? multiplexor, MultiplexingStream.Channel? channel0)
    {
        this.Socket = socket;
        this.Multiplexor = multiplexor;
        this.Channel0 = channel0;
    }

    /// <summary>Gets the socket: the one the host's launcher connected (the launch line's <c>socketFd</c>), or one of its own.</summary>
    public Stream Socket { get; }

    /// <summary>Gets the multiplexer, or null when the attack asked for the bare socket.</summary>
    public MultiplexingStream? Multiplexor { get; }

    /// <summary>Gets the seeded channel, or null when the attack asked for the bare socket.</summary>
    public MultiplexingStream.Channel? Channel0 { get; }

    /// <summary>Gets channel 0's writer.</summary>
    public PipeWriter Output => this.Channel0!.Output;

    /// <summary>Connects, proves the secret, and makes the multiplexer unless <paramref name="bareSocket"/>.</summary>
    /// <param name="launch">The launch line.</param>
    /// <param name="bareSocket">Whether to leave the socket without a multiplexer.</param>
    /// <param name="protocolVersion">The version the hello announces; null for this build's.</param>
    public static async Task<HostileConnection> ConnectAsync(MiniLaunchInfo launch, bool bareSocket, int? protocolVersion = null)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        Stream socket;
        if (launch.SocketFd is { } fd)
        {
            socket = new NetworkStream(new Socket(new SafeSocketHandle(fd, ownsHandle: true)), ownsSocket: true);
        }
        else
        {
            var pipe = new NamedPipeClientStream(".", launch.PipePath, PipeDirection.InOut, System.IO.Pipes.PipeOptions.Asynchronous);
            await pipe.ConnectAsync(deadline.Token).ConfigureAwait(false);
            socket = pipe;
        }

        await Handshake.SendHelloAsync(socket, Convert.FromBase64String(launch.Secret), protocolVersion ?? Handshake.ProtocolVersion, deadline.Token).ConfigureAwait(false);
        if (bareSocket)
        {
            return new HostileConnection(socket, null, null);
        }

        var options = new MultiplexingStream.Options
        {
            ProtocolMajorVersion = 3,
            SeededChannels = { new MultiplexingStream.ChannelOptions() },
        };
        MultiplexingStream multiplexor = MultiplexingStream.Create(socket, options);
        MultiplexingStream.Channel channel0 = multiplexor.AcceptChannel(0);
        return new HostileConnection(socket, multiplexor, channel0);
    }

    /// <summary>Gets the next request id.</summary>
    public long NextId() => Interlocked.Increment(ref this.nextId);

    /// <summary>Writes bytes on channel 0 and flushes.</summary>
    public async Task SendAsync(byte[] bytes)
    {
        await this.Output.WriteAsync(bytes).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads channel 0 until the host calls <see cref="FaultEvents.Go"/>, answers it, and returns. Requests for
    /// other events are left unanswered.
    /// </summary>
    public async Task WaitForGoAsync()
    {
        Stream input = this.Channel0!.Input.AsStream();
        while (await RpcFrames.ReadFrameAsync(input, CancellationToken.None).ConfigureAwait(false) is { } body)
        {
            RpcFrames.Message message = RpcFrames.Parse(body);
            if (message.Method is not null && message.EventId == FaultEvents.Go)
            {
                await this.SendAsync(RpcFrames.Result(message.RawId)).ConfigureAwait(false);
                return;
            }

            Program.Say($"before go, ignored {message}");
        }

        throw new EndOfStreamException("the host closed channel 0 before calling " + FaultEvents.Go);
    }

    /// <summary>
    /// Reads channel 0 for as long as it lasts: answers <see cref="FaultEvents.Ping"/> and <see cref="FaultEvents.Go"/>,
    /// ignores other requests, reports every answer and error through <paramref name="onReply"/>.
    /// </summary>
    public async Task ReadForeverAsync(Action<RpcFrames.Message> onReply)
    {
        try
        {
            Stream input = this.Channel0!.Input.AsStream();
            while (await RpcFrames.ReadFrameAsync(input, CancellationToken.None).ConfigureAwait(false) is { } body)
            {
                RpcFrames.Message message = RpcFrames.Parse(body);
                if (message.Method is not null)
                {
                    if (message.EventId is FaultEvents.Ping or FaultEvents.Go)
                    {
                        await this.SendAsync(RpcFrames.Result(message.RawId)).ConfigureAwait(false);
                    }
                }
                else
                {
                    onReply(message);
                }
            }
        }
        catch (Exception ex)
        {
            Program.Say($"reading channel 0 ended: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Waits until the host closes the connection and says so, with the time since <paramref name="attackStarted"/>.</summary>
    public async Task WaitForCutOffAsync(long attackStarted)
    {
        if (this.Multiplexor is { } multiplexor)
        {
            try
            {
                await multiplexor.Completion.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Program.Say($"multiplexer faulted: {ex.GetType().Name}: {ex.Message}");
            }
        }
        else
        {
            // The bare socket is never read by the attack: wait for standard input's end instead (Program exits then).
            await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        }

        Program.Say($"CUT OFF: the host closed the connection {Stopwatch.GetElapsedTime(attackStarted).TotalMilliseconds:0} ms after the attack started");
    }
}
