using System.Collections.Concurrent;
using System.IO.Pipes;
using System.Security.Cryptography;
using IpcBroker.MainProcess.Hosting.Platform;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Accepts connections on the host's pipe and admits only the mini processes the host started: each must present its
/// one-time secret, speak this protocol version, and be — by the kernel's word — the process started with that secret.
/// </summary>
/// <remarks>
/// <para>The first server instance is created with <see cref="PipeOptions.FirstPipeInstance"/>, so a pipe that already
/// exists at the path is an error and not silently taken over; all are <see cref="PipeOptions.CurrentUserOnly"/>.</para>
/// <para>One accept loop, which outlives an unexpected failure (logged, then it goes on); each accepted connection gets its own admission task bounded by the handshake timeout, so a
/// silent or slow client never delays the next one.</para>
/// </remarks>
internal sealed class PipeListener : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PendingLaunch> pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource disposal = new();

    /// <summary>The pids of the spare mini processes alive now: their launcher-made connections wait for a hello without the handshake timeout.</summary>
    private readonly ConcurrentDictionary<int, byte> spares = new();
    private readonly TimeSpan handshakeTimeout;
    private readonly ILogger logger;
    private readonly Action? afterAccept;
    private NamedPipeServerStream? next;
    private Task? acceptLoop;

    public PipeListener(string pipePath, TimeSpan handshakeTimeout, ILogger logger, Action? afterAccept = null)
    {
        this.afterAccept = afterAccept;
        this.PipePath = pipePath;
        this.handshakeTimeout = handshakeTimeout;
        this.logger = logger;

        // Created here, not in the loop, so that a pipe already at this path fails the host's start with a clear error.
        this.next = this.CreateServer(first: true);
        if (!OperatingSystem.IsWindows())
        {
            // The socket file's mode follows the umask; its directory is private (0700) already, the file is made so too.
            File.SetUnixFileMode(pipePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public string PipePath { get; }

    /// <summary>
    /// Gets how long a start may take from its launch line to an accepted handshake. A connection whose peer is the
    /// process of a pending launch gets the rest of it for its hello, instead of the handshake timeout: the host's launcher
    /// connects before the mini program's runtime has even started.
    /// </summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public static string HashSecret(ReadOnlySpan<byte> secret) => Convert.ToHexString(SHA256.HashData(secret));

    public void Start() => this.acceptLoop = Task.Run(this.AcceptLoopAsync);

    /// <summary>Registers a launch whose process will present the secret with this hash.</summary>
    public void Expect(PendingLaunch launch) => this.pending[launch.SecretHash] = launch;

    /// <summary>
    /// Lets the connection of the spare process <paramref name="pid"/> (its launcher connects before the spare's runtime starts)
    /// wait for its hello as long as the pid is held: a spare waits for its launch line, then its hello, for as long as the
    /// host keeps it. Held from its start until it is bound (<see cref="Expect"/> then <see cref="ReleaseSpare"/>: its launch's
    /// start timeout then applies) or has exited.
    /// </summary>
    /// <param name="pid">The spare's pid; by SO_PEERCRED, only that process's connections are held.</param>
    public void HoldForSpare(int pid) => this.spares[pid] = 0;

    /// <summary>Stops holding the connections of <paramref name="pid"/> (see <see cref="HoldForSpare"/>).</summary>
    /// <param name="pid">The spare's pid.</param>
    public void ReleaseSpare(int pid) => this.spares.TryRemove(pid, out _);

    /// <summary>Forgets a launch: its secret no longer admits anyone.</summary>
    public void Forget(PendingLaunch launch) => this.pending.TryRemove(new KeyValuePair<string, PendingLaunch>(launch.SecretHash, launch));

    /// <summary>Forgets every launch not yet connected (logout): their secrets admit no one, their starts fail with <paramref name="reason"/>.</summary>
    public void RevokeAll(Exception reason)
    {
        foreach (PendingLaunch launch in this.pending.Values)
        {
            this.Forget(launch);
            launch.TryFail(reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await this.disposal.CancelAsync().ConfigureAwait(false);
        if (this.next is not null)
        {
            await this.next.DisposeAsync().ConfigureAwait(false);
        }

        if (this.acceptLoop is not null)
        {
            await this.acceptLoop.ConfigureAwait(false);
        }

        foreach (PendingLaunch launch in this.pending.Values)
        {
            launch.TryFail(new ObjectDisposedException(nameof(MiniAppHost), "The host is shutting down."));
        }

        this.disposal.Dispose();
    }

    private NamedPipeServerStream CreateServer(bool first) => new(
        this.PipePath,
        PipeDirection.InOut,
        NamedPipeServerStream.MaxAllowedServerInstances,
        PipeTransmissionMode.Byte,
        PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly | (first ? PipeOptions.FirstPipeInstance : PipeOptions.None));

    private async Task AcceptLoopAsync()
    {
        try
        {
            await this.AcceptConnectionsAsync().ConfigureAwait(false);
        }
        finally
        {
            // An instance created as disposal began would otherwise keep listening.
            if (this.next is not null)
            {
                await this.next.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Accepts until disposal. An unexpected failure (a bug, or the system refusing a new instance) is logged and the loop
    /// goes on: a listener that ended silently would leave every later start to time out. Repeated failures back off.
    /// </summary>
    private async Task AcceptConnectionsAsync()
    {
        int failuresInARow = 0;
        while (!this.disposal.IsCancellationRequested)
        {
            NamedPipeServerStream? accepted = null;
            try
            {
                // A failure below may have left no instance: make one before waiting.
                NamedPipeServerStream server = this.next ??= this.CreateServer(first: false);
                try
                {
                    await server.WaitForConnectionAsync(this.disposal.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!this.disposal.IsCancellationRequested && ex is IOException or UnauthorizedAccessException)
                {
                    // CurrentUserOnly refuses a peer of another user here; that costs the peer, not us.
                    HostLog.ConnectionRefused(this.logger, ex.Message);
                    this.next = null;
                    await server.DisposeAsync().ConfigureAwait(false);
                    continue;
                }

                accepted = server;
                this.next = null;

                // The next instance exists before this one is handed off, so the socket always has a listener.
                this.next = this.CreateServer(first: false);
                this.afterAccept?.Invoke();
                _ = this.AdmitAsync(accepted);
                accepted = null;
                failuresInARow = 0;
            }
            catch (Exception) when (this.disposal.IsCancellationRequested)
            {
                if (accepted is not null)
                {
                    await accepted.DisposeAsync().ConfigureAwait(false);
                }

                return;
            }
            catch (Exception ex)
            {
                failuresInARow++;
                HostLog.AcceptFailed(this.logger, this.PipePath, failuresInARow, ex);
                if (accepted is not null)
                {
                    await accepted.DisposeAsync().ConfigureAwait(false);
                }

                if (failuresInARow > 1 && !await BackOffAsync(failuresInARow, this.disposal.Token).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Waits before the next attempt after <paramref name="failuresInARow"/> failures: 50 ms doubling up to 2 s, so that a
    /// lasting failure (out of descriptors) neither spins a core nor leaves the loop asleep long once it clears.
    /// </summary>
    /// <returns>False when <paramref name="cancellationToken"/> fired meanwhile.</returns>
    internal static async Task<bool> BackOffAsync(int failuresInARow, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 50 << Math.Min(failuresInARow - 2, 6))), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads the hello within the handshake timeout; when that passes and the peer is the process of a launch still pending,
    /// within the rest of that launch's <see cref="StartTimeout"/> instead. The check is made when the handshake timeout
    /// passes, not at accept, so a launcher that connects before its host has registered the launch still gets its time.
    /// </summary>
    /// <param name="server">The accepted connection.</param>
    /// <param name="peerPid">The peer's pid by SO_PEERCRED, or null where there is none.</param>
    /// <param name="deadline">Cancelled when the time is up (this method cancels it; disposal does too).</param>
    private async Task<(int Version, byte[] Secret)> ReadHelloAsync(NamedPipeServerStream server, int? peerPid, CancellationTokenSource deadline)
    {
        Task<(int, byte[])> hello = Handshake.ReadHelloAsync(server, deadline.Token);
        TimeSpan wait = this.handshakeTimeout;
        while (await Task.WhenAny(hello, Task.Delay(wait, deadline.Token)).ConfigureAwait(false) != hello)
        {
            // A spare's connection is checked again after each handshake timeout, so it is let go soon once the spare is not one any more.
            TimeSpan? left = peerPid is { } pid && !deadline.IsCancellationRequested ? this.StartTimeLeft(pid) ?? (this.spares.ContainsKey(pid) ? this.handshakeTimeout : null) : null;
            if (left is not { } more || more <= TimeSpan.Zero)
            {
                await deadline.CancelAsync().ConfigureAwait(false);
                break;
            }

            wait = more;
        }

        return await hello.ConfigureAwait(false);
    }

    /// <summary>The rest of the start time of the pending launch whose process is <paramref name="pid"/>, or null when none is.</summary>
    private TimeSpan? StartTimeLeft(int pid)
    {
        foreach (PendingLaunch launch in this.pending.Values)
        {
            if (launch.ProcessId == pid)
            {
                return this.StartTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(launch.CreatedAt);
            }
        }

        return null;
    }

    private async Task AdmitAsync(NamedPipeServerStream server)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(this.disposal.Token);
        bool admitted = false;
        try
        {
            // Read now, before the hello: whom the kernel says connected decides how long the hello may take.
            int? peerPid = HostPlatform.Current.ReadPeerCredentials(server).ProcessId;
            (int version, byte[] secret) = await this.ReadHelloAsync(server, peerPid, deadline).ConfigureAwait(false);
            if (version != Handshake.ProtocolVersion)
            {
                string mismatch = Handshake.DescribeVersionMismatch(Handshake.ProtocolVersion, version);
                await Handshake.WriteVerdictAsync(server, HandshakeStatus.VersionMismatch, mismatch, deadline.Token).ConfigureAwait(false);
                HostLog.ConnectionRefused(this.logger, mismatch);

                // The secret still tells which start this was (its own process, by the kernel's word): that start fails now,
                // naming both versions, instead of timing out. Written after the verdict, so the mini process reads it first.
                if (this.pending.TryRemove(HashSecret(secret), out PendingLaunch? refused))
                {
                    refused.TryFail(new MiniAppStartException(refused.ProcessId == peerPid
                        ? $"{refused.Key} could not connect: {mismatch}."
                        : $"{refused.Key} could not connect: another process (pid {peerPid}) presented its secret."));
                }

                return;
            }

            // One-time: the secret is removed whatever happens next.
            if (!this.pending.TryRemove(HashSecret(secret), out PendingLaunch? launch))
            {
                await Handshake.WriteVerdictAsync(server, HandshakeStatus.Denied, "denied", deadline.Token).ConfigureAwait(false);
                HostLog.ConnectionRefused(this.logger, "unknown, used or revoked secret");
                return;
            }

            PeerCredentials peer = HostPlatform.Current.ReadPeerCredentials(server);
            if (peer.ProcessId != launch.ProcessId)
            {
                await Handshake.WriteVerdictAsync(server, HandshakeStatus.Denied, "denied", deadline.Token).ConfigureAwait(false);
                string reason = $"pid {peer.ProcessId} presented the secret given to {launch.Key} pid {launch.ProcessId}";
                HostLog.ConnectionRefused(this.logger, reason);
                launch.TryFail(new MiniAppStartException($"{launch.Key} could not connect: another process ({reason})."));
                return;
            }

            await Handshake.WriteVerdictAsync(server, HandshakeStatus.Accepted, "accepted", deadline.Token).ConfigureAwait(false);
            admitted = launch.TryAccept(server, peer);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HandshakeException or ObjectDisposedException or EndOfStreamException)
        {
            HostLog.ConnectionRefused(this.logger, ex is OperationCanceledException ? "no hello within the handshake timeout" : ex.Message);
        }
        finally
        {
            if (!admitted)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
