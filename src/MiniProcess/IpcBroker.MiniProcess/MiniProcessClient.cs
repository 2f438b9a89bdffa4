using System.IO.Pipes;
using IpcBroker.Plugins;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.MiniProcess;

/// <summary>
/// A mini program process's connection to the main process: <see cref="CallMainProcessPlugin"/> and
/// <see cref="CallMainProcessPluginAsync"/> out, the mini-side plugins in.
/// </summary>
/// <remarks>All members are thread-safe. Disposing closes the connection; pending calls fail with <see cref="IpcErrorCode.PeerDisconnected"/>.</remarks>
public sealed class MiniProcessClient : IMainProcessCaller, IAsyncDisposable
{
    private readonly IpcConnection connection;

    private MiniProcessClient(MiniLaunchInfo launchInfo, IpcConnection connection)
    {
        this.LaunchInfo = launchInfo;
        this.connection = connection;
    }

    /// <summary>Gets a value indicating whether the current process is a connected mini program process (the SDK's <c>isMiniProcess()</c>).</summary>
    public static bool IsMiniProcess { get; private set; }

    /// <summary>Gets the launch info this process was started with.</summary>
    public MiniLaunchInfo LaunchInfo { get; }

    /// <summary>Gets this mini program's appId.</summary>
    public string AppId => this.LaunchInfo.AppId;

    /// <summary>Gets this mini program's build.</summary>
    public MiniAppVerType VerType => this.LaunchInfo.VerType;

    /// <summary>
    /// Gets this mini program's private directory for the signed-in user, or null. The host keys it by (user, appId), so
    /// another user's run of the same mini program never sees these files.
    /// </summary>
    public string? SandboxDirectory => this.LaunchInfo.SandboxDirectory;

    /// <summary>Gets the underlying connection.</summary>
    public IpcConnection Connection => this.connection;

    /// <summary>Gets a task that completes when the connection to the host has closed.</summary>
    public Task Completion => this.connection.Completion;

    /// <summary>
    /// Connects to the host named in <paramref name="launchInfo"/> and proves the secret: on the socket the launch line's
    /// <see cref="MiniLaunchInfo.SocketFd"/> names when it names one (already connected by the host's launcher), else on a
    /// new connection to its pipe.
    /// </summary>
    /// <param name="launchInfo">What the host wrote on standard input.</param>
    /// <param name="registry">The mini-side events this process answers.</param>
    /// <param name="options">Connection settings, or null.</param>
    /// <param name="loggerFactory">Where to log, or null.</param>
    /// <param name="timeout">How long connecting and the handshake may take together; null for 10 s.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="HandshakeException">When the host refused, or the launch line names a protocol version other than this build's.</exception>
    /// <exception cref="TimeoutException">When the host did not accept within <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">When the pipe is gone, or the inherited descriptor is not a socket or was used before.</exception>
    /// <exception cref="ObjectDisposedException">When the host closed the connection as soon as it had accepted it.</exception>
    public static async Task<MiniProcessClient> ConnectAsync(MiniLaunchInfo launchInfo, IpcEventRegistry registry, IpcConnectionOptions? options = null, ILoggerFactory? loggerFactory = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(launchInfo);
        ArgumentNullException.ThrowIfNull(registry);
        if (registry.Side != IpcSide.Mini)
        {
            throw new ArgumentException("A mini process answers with a mini-side registry.", nameof(registry));
        }

        if (launchInfo.ProtocolVersion != Handshake.ProtocolVersion)
        {
            // What a launch line means changes with the version (3 added socketFd, which a version 2 mini process would
            // ignore): one of another version is not acted on at all. The process exits; the host's start sees it exit
            // with this sentence in its error output.
            throw new HandshakeException(HandshakeStatus.VersionMismatch, "The launch line is not one this mini process speaks: " + Handshake.DescribeVersionMismatch(launchInfo.ProtocolVersion, Handshake.ProtocolVersion) + ".");
        }

        byte[] secret;
        try
        {
            secret = Convert.FromBase64String(launchInfo.Secret);
        }
        catch (FormatException ex)
        {
            throw new FormatException("The launch secret is not base64.", ex);
        }

        loggerFactory ??= NullLoggerFactory.Instance;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromSeconds(10));
        Stream? transport = null;
        try
        {
            transport = await OpenTransportAsync(launchInfo, deadline.Token).ConfigureAwait(false);
            await Handshake.SendHelloAsync(transport, secret, Handshake.ProtocolVersion, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeAsync(transport).ConfigureAwait(false);
            throw new TimeoutException($"The host at {launchInfo.PipePath} did not accept the connection in time.");
        }
        catch
        {
            await DisposeAsync(transport).ConfigureAwait(false);
            throw;
        }

        var host = new IpcCaller(IpcSide.Main, launchInfo.AppId, launchInfo.VerType, launchInfo.HostProcessId);
        IpcConnection connection;
        try
        {
            connection = IpcConnection.Start(transport, registry, host, options, loggerFactory.CreateLogger("IpcBroker.MiniProcess"));
        }
        catch
        {
            // A host that closes the connection right after the handshake makes the start throw ObjectDisposedException.
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        IsMiniProcess = true;
        return new MiniProcessClient(launchInfo, connection);
    }

    /// <summary>Calls a main-process plugin and awaits its one outcome (the awaitable form).</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="options">Deadline and cancellation, or null.</param>
    /// <param name="cancellationToken">Cancels the call, as <see cref="IpcCallOptions.CancellationToken"/> does; either cancels it.</param>
    /// <returns>The outcome; the task never faults. A cancelled call completes at once with <see cref="IpcErrorCode.Canceled"/>.</returns>
    public Task<IpcResult> CallMainProcessPluginAsync(string eventId, Bundle? request, IpcCallOptions? options = null, CancellationToken cancellationToken = default) =>
        this.connection.CallAsync(eventId, request, options, cancellationToken);

    /// <summary>Calls a main-process plugin in the SDK's callback form (<c>callMainProcessPlugin(eventId, request, callback)</c>).</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="request">The request bundle; null sends an empty one.</param>
    /// <param name="callback">Called exactly once with the outcome, on a thread-pool thread.</param>
    /// <param name="options">Deadline and cancellation, or null.</param>
    public void CallMainProcessPlugin(string eventId, Bundle? request, IIpcCallback callback, IpcCallOptions? options = null) =>
        this.connection.Call(eventId, request, callback, options);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => this.connection.DisposeAsync();

    /// <summary>Opens the stream to the host: the inherited connected socket, or a new connection to the pipe.</summary>
    private static async Task<Stream> OpenTransportAsync(MiniLaunchInfo launchInfo, CancellationToken cancellationToken)
    {
        if (launchInfo.SocketFd is { } fd)
        {
            return InheritedSocket.Take(fd);
        }

        var pipe = new NamedPipeClientStream(".", launchInfo.PipePath, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            // The host creates its pipe before it starts any mini process, so a missing pipe means the host is gone:
            // the deadline, not a retry loop, ends the wait.
            await pipe.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return pipe;
        }
        catch
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static ValueTask DisposeAsync(Stream? transport) => transport?.DisposeAsync() ?? ValueTask.CompletedTask;
}
