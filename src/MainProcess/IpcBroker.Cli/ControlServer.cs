using System.IO.Pipes;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// The control socket of a <c>serve</c> host: accepts the other verbs' connections and serves each a
/// <see cref="ControlService"/> over JSON-RPC. A client must say hello with the connection file's token within
/// <see cref="HelloTimeout"/>, and until it has, its frames are capped at <see cref="MaxFrameBytesBeforeHello"/>.
/// </summary>
/// <remarks>
/// The socket is <see cref="PipeOptions.CurrentUserOnly"/> in a private directory of its own (not the mini processes' pipe
/// directory), but anything of that user that can reach it may connect. Before anything is read, the peer is judged by
/// <see cref="PeerCheck"/> (same uid, not a mini process nor inside one): a refused peer is closed at once, logged
/// (rate-limited) and counted in <see cref="RefusedPeers"/>. Then the hello deadline keeps a silent client from holding a
/// connection for good, and the frame cap keeps one from making the host allocate before its token is checked. The accept
/// loop outlives an unexpected failure (logged, backing off if it repeats) and ends only with <c>stopping</c>.
/// </remarks>
/// <param name="path">The socket's path.</param>
/// <param name="context">What the verbs act on.</param>
/// <param name="logger">Where refusals and failures are logged.</param>
internal sealed class ControlServer(string path, ServeContext context, ILogger logger)
{
    private readonly ControlRefusalLog refusals = new(logger);

    /// <summary>Gets who may be served: by default the host's uid, and no mini process of the served host nor anything inside one.</summary>
    public ControlPeerCheck PeerCheck { get; init; } = new(() => context.Host.ProcessIds);

    /// <summary>Gets how many connections were refused for their peer.</summary>
    public long RefusedPeers => this.refusals.Count;

    /// <summary>Gets how long a client may take to present the token once connected (5 s; the verbs do it at once).</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the largest frame accepted before hello (64 KiB: a hello is under 200 bytes).</summary>
    public int MaxFrameBytesBeforeHello { get; init; } = 64 * 1024;

    /// <summary>Gets the largest frame accepted after hello (16 MiB: the largest verb, <c>call</c>, carries a bundle as JSON).</summary>
    public int MaxFrameBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Gets a test hook run right after a connection is accepted (null: none); it may throw.</summary>
    internal Action? AfterAccept { get; init; }

    /// <summary>Accepts clients until <paramref name="stopping"/> fires.</summary>
    /// <param name="stopping">Ends the loop; connections already served end with the process.</param>
    /// <returns>A task that completes when the loop has ended; it does not fault.</returns>
    public async Task RunAsync(CancellationToken stopping)
    {
        int failuresInARow = 0;

        // On Unix every server instance of one path shares one listening socket, closed with the last instance: an instance
        // given up (a refused peer, a failure) is disposed only once the next one exists, or a client connecting between the
        // two would land in the closing socket's backlog and be dropped unanswered.
        NamedPipeServerStream? retired = null;
        while (!stopping.IsCancellationRequested)
        {
            NamedPipeServerStream? server = null;
            try
            {
                server = new NamedPipeServerStream(path, PipeDirection.InOut, NamedPipeServerStream.MaxAllowedServerInstances, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
                await DisposeAsync(retired).ConfigureAwait(false);
                retired = null;
                if (!OperatingSystem.IsWindows())
                {
                    // The socket file's mode follows the umask; its directory is private already, the file is made so too.
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                await server.WaitForConnectionAsync(stopping).ConfigureAwait(false);
                this.AfterAccept?.Invoke();
                if (!this.Admit(server))
                {
                    // Disposed (the refused peer's connection with it) as soon as the next instance exists, before any wait.
                    retired = server;
                    server = null;
                    failuresInARow = 0;
                    continue;
                }

                this.Serve(server);
                server = null;
                failuresInARow = 0;
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                await DisposeAsync(server).ConfigureAwait(false);
                await DisposeAsync(retired).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A peer of another user, or one gone before it was served: that costs the peer, not us.
                HostLog.ControlClientClosed(logger, ex.Message);
                retired = server ?? retired;
            }
            catch (Exception ex)
            {
                failuresInARow++;
                HostLog.AcceptFailed(logger, path, failuresInARow, ex);
                retired = server ?? retired;
                if (failuresInARow > 1 && !await PipeListener.BackOffAsync(failuresInARow, stopping).ConfigureAwait(false))
                {
                    await DisposeAsync(retired).ConfigureAwait(false);
                    return;
                }
            }
        }

        await DisposeAsync(retired).ConfigureAwait(false);
    }

    private static async ValueTask DisposeAsync(Stream? stream)
    {
        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Judges the peer of an accepted connection before anything is read from it.</summary>
    /// <returns>False when it was refused (logged and counted); the caller closes the connection.</returns>
    private bool Admit(NamedPipeServerStream pipe)
    {
        PeerCredentials peer = PeerCredentials.Of(pipe);
        if (this.PeerCheck.Check(peer) is not { } reason)
        {
            return true;
        }

        this.refusals.Refused(peer.ProcessId, reason);
        return false;
    }

    private void Serve(NamedPipeServerStream pipe)
    {
        var guard = new ControlFrameGuard(pipe, this.MaxFrameBytesBeforeHello, reason => HostLog.ControlClientClosed(logger, reason));
        var rpc = new JsonRpc(guard);
        var service = new ControlService(context, rpc);
        rpc.AddLocalRpcTarget(service);
        rpc.StartListening();

        // Observed here: a client that breaks the frame caps or goes away ends its connection, nothing else.
        _ = this.EnforceHelloAsync(rpc, service, guard);
    }

    private async Task EnforceHelloAsync(JsonRpc rpc, ControlService service, ControlFrameGuard guard)
    {
        try
        {
            await service.Authenticated.WaitAsync(this.HelloTimeout).ConfigureAwait(false);
            guard.MaxFrameBytes = this.MaxFrameBytes;
        }
        catch (TimeoutException)
        {
            if (!rpc.Completion.IsCompleted)
            {
                HostLog.ControlClientClosed(logger, $"no hello with the token within {this.HelloTimeout.TotalSeconds:0.###} s");
            }

            rpc.Dispose();
        }

        try
        {
            await rpc.Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or RemoteRpcException)
        {
            // The connection ended badly; the reason was logged where it was found.
        }
    }
}
