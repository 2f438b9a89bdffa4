using System.Diagnostics;
using IpcBroker.Diagnostics;
using IpcBroker.Governance;
using IpcBroker.Plugins;
using IpcBroker.Protocol;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker;

/// <summary>
/// One connection between the main process and one mini process, carrying calls both ways. Side-agnostic: both ends
/// create one over the stream they have (a named pipe, or an in-memory pair in tests).
/// </summary>
/// <remarks>
/// <para>Layers, bottom up: the stream; a Nerdbank.Streams <see cref="MultiplexingStream"/> (protocol 3, so channels have
/// their own flow control and no handshake round-trip) with one seeded channel; on it, JSON-RPC framed by
/// <see cref="BoundedLengthHeaderMessageHandler"/> and encoded by StreamJsonRpc's <see cref="MessagePackFormatter"/>
/// with untrusted-data security. Both parties call one method, <see cref="CallMethod"/>
/// <c>(eventId, timeoutMs, payload, payloadChannel)</c>, whose answer is a <see cref="CallReply"/>; bundles travel as opaque bytes in
/// <see cref="BundleCodec"/> form so that each side decodes them under its own limits.</para>
/// <para>Exactly once: every call completes through one <see cref="TaskCompletionSource{T}"/> raced by the answer, its
/// own deadline timer, the caller's token and the connection's closing; the first wins, the rest are ignored. None of
/// them waits on the peer.</para>
/// <para>Governance (<see cref="Governance.ConnectionGovernor"/>): at most
/// <see cref="IpcConnectionOptions.MaxConcurrentIncomingCalls"/> incoming calls are handled at once (the excess is
/// answered <see cref="IpcErrorCode.Busy"/>), and they run on the thread pool, never on StreamJsonRpc's in-order
/// dispatcher; this side's own calls keep to <see cref="IpcConnectionOptions.PeerMaxConcurrentCalls"/> through a FIFO;
/// bytes queued for the peer are bounded by <see cref="IpcConnectionOptions.MaxQueuedOutgoingBytes"/>; and a transport
/// write that makes no progress for <see cref="IpcConnectionOptions.StalledWriteTimeout"/> closes the connection.</para>
/// <para>Authorization: when <see cref="IpcConnectionOptions.CallAuthorizer"/> is set, every incoming call is put to it
/// with <see cref="Remote"/> as the caller before anything else is spent on it; a refused call is answered
/// <see cref="IpcErrorCode.Denied"/> and its payload channel discarded unread.</para>
/// <para>Thread-safety: all members may be called from any thread. Disposal closes the connection and fails pending
/// calls with <see cref="IpcErrorCode.PeerDisconnected"/> unless <see cref="Close"/> named another reason first.</para>
/// </remarks>
public sealed class IpcConnection : IAsyncDisposable
{
    /// <summary>The JSON-RPC method both parties serve.</summary>
    internal const string CallMethod = "ipc.call";

    /// <summary>The MessagePack options of every JSON-RPC message on the wire (internal for the fuzz targets).</summary>
    internal static readonly MessagePackSerializerOptions SerializerOptions = MessagePackSerializerOptions.Standard
        .WithSecurity(MessagePackSecurity.UntrustedData)
        .WithResolver(CompositeResolver.Create([CallReply.Formatter.Instance], [StandardResolver.Instance]));

    /// <summary>The payload channel argument of a call whose bundle travels inline, boxed once.</summary>
    private static readonly object NoPayloadChannel = 0UL;

    /// <summary>The options of a call made without any (immutable, so shared).</summary>
    private static readonly IpcCallOptions DefaultCallOptions = new();

    private readonly Stream transport;
    private readonly MultiplexingStream multiplexor;
    private readonly JsonRpc rpc;
    private readonly PayloadTransfer payloads;
    private readonly IpcEventRegistry registry;
    private readonly IpcConnectionOptions options;
    private readonly ILogger logger;
    private readonly ConnectionGovernor governor;
    private readonly RefusalLogLimiter refusals;
    private readonly object gate = new();
    private readonly CancellationTokenSource closing = new();
    private readonly TaskCompletionSource closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IpcErrorCode closeCode = IpcErrorCode.PeerDisconnected;
    private string closeReason = "the connection closed";
    private bool closeStarted;

    /// <summary>How long releasing the transport may take before the connection counts as closed anyway.</summary>
    private static readonly TimeSpan TeardownTimeout = TimeSpan.FromSeconds(5);

    private readonly Timer unclaimedSweep;
    private ProtocolViolation? violation;

    /// <summary>
    /// The receive window of the seeded channel 0, in bytes, on both sides: 1,024,000 (50 multiplexer frames of 20 KiB).
    /// </summary>
    /// <remarks>
    /// A protocol constant (docs/protocol.md, section 3): the seeded channel is never offered or accepted, so neither side
    /// tells the other its window and each must assume the other's. It is Nerdbank.Streams 2.14's default, set here
    /// explicitly so that a library upgrade cannot change the wire. The .NET receiver acknowledges in steps of an eighth
    /// of it (125 KiB); a sender that assumes a smaller window (nerdbank-streams for JavaScript: 100 KiB) stalls for
    /// good before the first acknowledgement.
    /// </remarks>
    internal const long ChannelZeroReceiveWindow = 50 * 20 * 1024;

    /// <summary>The receive window a payload channel is accepted with, in bytes (1,024,000; it travels in the Accept frame).</summary>
    internal const long PayloadChannelReceiveWindow = 50 * 20 * 1024;

    /// <summary>
    /// The most a payload channel offered and not yet accepted can make this side buffer, in bytes (61,440: three
    /// multiplexer frames). Well-behaved senders send nothing before acceptance; this bounds what a hostile one can leave
    /// unclaimed to <see cref="IpcConnectionOptions.MaxUnclaimedChannels"/> times this.
    /// </summary>
    internal const long UnclaimedChannelWindow = 3 * 20 * 1024;

    /// <summary>The options payload channels are accepted with.</summary>
    internal static readonly MultiplexingStream.ChannelOptions PayloadChannelOptions = new() { ChannelReceivingWindowSize = PayloadChannelReceiveWindow };

    private IpcConnection(Stream transport, IpcEventRegistry registry, IpcCaller remote, IpcConnectionOptions options, ILogger logger)
    {
        this.transport = transport;
        this.registry = registry;
        this.Remote = remote;
        this.options = options;
        this.logger = logger;
        this.governor = new ConnectionGovernor(options);
        this.refusals = new RefusalLogLimiter(logger, options.MaxRefusalWarningsPerSecond);

        var muxOptions = new MultiplexingStream.Options
        {
            ProtocolMajorVersion = 3,

            // Both windows are protocol constants (docs/protocol.md, section 3); the default one is what an offered
            // channel may buffer before it is accepted, and what channels this side creates (send-only) advertise.
            SeededChannels = { new MultiplexingStream.ChannelOptions { ChannelReceivingWindowSize = ChannelZeroReceiveWindow } },
            DefaultChannelReceivingWindowSize = UnclaimedChannelWindow,
            StartSuspended = true,
        };
        this.multiplexor = MultiplexingStream.Create(transport, muxOptions);

        // Twice the cap of calls at once: a well-behaved peer (at most the cap, each answered) never reaches it.
        var progress = new OutboundProgress(checked(options.MaxConcurrentIncomingCalls * 2), options.StalledWriteTimeout, this.OnPeerStoppedReading);
        this.payloads = new PayloadTransfer(this.multiplexor, options, progress, this.closing.Token);

        // Channels other than the seeded one carry large payloads; each must be claimed by a message, and a peer that
        // piles up unclaimed ones, or leaves one unclaimed too long, is cut off. Raised on the multiplexer's read loop:
        // it must not block.
        this.multiplexor.ChannelOffered += (_, e) =>
        {
            if (!this.payloads.OnOffered(e.QualifiedId.Id))
            {
                IpcLog.ChannelRefused(this.logger, options.MaxUnclaimedChannels);
                this.OnProtocolViolation(ProtocolViolation.TooManyUnclaimedChannels, $"the other process offered more than {options.MaxUnclaimedChannels} payload channels it did not name");
            }
        };
        TimeSpan sweepPeriod = options.UnclaimedChannelTimeout / 4;
        this.unclaimedSweep = new Timer(_ => this.SweepUnclaimed(), null, sweepPeriod, sweepPeriod);
        this.multiplexor.StartListening();
        MultiplexingStream.Channel channel = this.multiplexor.AcceptChannel(0);

        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(SerializerOptions);
        var handler = new BoundedLengthHeaderMessageHandler(channel, formatter, options.EffectiveMaxMessageBytes, options.FrameReadTimeout, this.payloads.OnNamed, progress);
        this.rpc = new JsonRpc(handler)
        {
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,

            // W3C trace context in each request: the handler's span becomes a descendant of the caller's. A request
            // without one starts no activity on arrival (TraceContextStrategy).
            ActivityTracingStrategy = new TraceContextStrategy(),
        };
        this.rpc.AddLocalRpcMethod(CallMethod, new Func<string, int, byte[]?, ulong, CancellationToken, Task<CallReply>>(this.OnCallAsync));
        this.rpc.Disconnected += (_, e) =>
        {
            switch (e.Exception)
            {
                case ProtocolViolationException broken:
                    this.OnProtocolViolation(broken.Violation, broken.Message);
                    break;
                case MessageTooLargeException tooLarge:
                    this.OnProtocolViolation(ProtocolViolation.FrameLength, tooLarge.Message);
                    break;
                default:
                    this.OnDisconnected(e.Description);
                    break;
            }
        };
        _ = this.multiplexor.Completion.ContinueWith(_ => this.OnDisconnected("the transport closed"), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        this.rpc.StartListening();
    }

    /// <summary>Gets who is on the other end, as the broker knows it (the caller identity its incoming calls carry).</summary>
    public IpcCaller Remote { get; }

    /// <summary>Gets the events this side answers.</summary>
    public IpcEventRegistry Registry => this.registry;

    /// <summary>Gets a value indicating whether the connection is still open.</summary>
    public bool IsConnected => !this.closing.IsCancellationRequested;

    /// <summary>Gets a task that completes once the connection has closed, for whatever reason.</summary>
    public Task Completion => this.closed.Task;

    /// <summary>Gets a token that fires when the connection starts closing.</summary>
    public CancellationToken ClosingToken => this.closing.Token;

    /// <summary>Gets why the connection closed, once it has.</summary>
    public string CloseReason => this.closeReason;

    /// <summary>
    /// Gets the protocol violation that made this side close the connection, or null: the host logs it and stops the
    /// process. Set before <see cref="ClosingToken"/> fires.
    /// </summary>
    public ProtocolViolation? Violation
    {
        get
        {
            lock (this.gate)
            {
                return this.violation;
            }
        }
    }

    /// <summary>Gets the payload transfers of this connection, for tests.</summary>
    internal PayloadTransfer Payloads => this.payloads;

    /// <summary>Starts a connection over <paramref name="transport"/>, which it then owns.</summary>
    /// <param name="transport">A connected duplex stream.</param>
    /// <param name="registry">The events this side answers.</param>
    /// <param name="remote">Who is on the other end; set on every incoming request as its caller.</param>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="logger">Where to log, or null.</param>
    /// <returns>The connection, already listening.</returns>
    public static IpcConnection Start(Stream transport, IpcEventRegistry registry, IpcCaller remote, IpcConnectionOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(remote);
        options ??= IpcConnectionOptions.Default;
        logger ??= NullLogger.Instance;

        // The main process never waits on a mini: a write to a peer that has stopped reading closes the connection once
        // it has made no progress for StalledWriteTimeout (the watch starts once the connection exists to be closed).
        var watched = new WriteProgressStream(transport);
        var connection = new IpcConnection(watched, registry, remote, options, logger);
        watched.Watch(options.StalledWriteTimeout, connection.OnPeerStoppedReading);
        return connection;
    }

    /// <summary>Calls <paramref name="eventId"/> on the other side and awaits its one outcome.</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="data">The request bundle; null sends an empty one.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    /// <param name="cancellationToken">
    /// Cancels the call, as <see cref="IpcCallOptions.CancellationToken"/> does; when both are given, either cancels it.
    /// </param>
    /// <returns>
    /// The outcome. The task never faults and never outlives the deadline; a cancelled call completes at once with
    /// <see cref="IpcErrorCode.Canceled"/> (without being sent when a token was cancelled before the call).
    /// </returns>
    public Task<IpcResult> CallAsync(string eventId, Bundle? data, IpcCallOptions? callOptions = null, CancellationToken cancellationToken = default)
    {
        callOptions ??= DefaultCallOptions;
        if (!IpcEventRegistry.IsValidEventId(eventId, out string problem))
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.BadRequest, $"Bad request: {problem}."));
        }

        TimeSpan timeout = this.options.TimeoutFor(eventId, callOptions.Timeout);
        TimeSpan maxTimeout = this.options.MaxTimeoutFor(eventId);
        if (timeout <= TimeSpan.Zero || timeout > maxTimeout)
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.BadRequest, $"Bad request: the timeout must be above zero and at most {maxTimeout}."));
        }

        CancellationToken optionsToken = callOptions.CancellationToken;
        if (optionsToken.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.Canceled, $"The call to '{eventId}' was canceled before it was sent."));
        }

        if (this.closing.IsCancellationRequested)
        {
            return Task.FromResult(this.ClosedResult(eventId));
        }

        byte[] payload;
        try
        {
            payload = BundleCodec.Encode(data, this.options.Limits);
        }
        catch (BundleLimitExceededException ex)
        {
            return Task.FromResult(IpcResult.Failure(IpcErrorCode.LimitsExceeded, "The request was not sent: " + ex.Message));
        }

        return this.CallCoreAsync(eventId, data, payload, timeout, optionsToken, cancellationToken);
    }

    /// <summary>Calls <paramref name="eventId"/> on the other side in the SDK's callback form.</summary>
    /// <param name="eventId">The event name.</param>
    /// <param name="data">The request bundle; null sends an empty one.</param>
    /// <param name="callback">Receives the one outcome, on a thread-pool thread.</param>
    /// <param name="callOptions">Deadline and cancellation, or null.</param>
    public void Call(string eventId, Bundle? data, IIpcCallback callback, IpcCallOptions? callOptions = null)
    {
        ArgumentNullException.ThrowIfNull(callback);
        Task<IpcResult> outcome = this.CallAsync(eventId, data, callOptions);
        _ = DeliverAsync(outcome, callback, eventId, this.logger);
    }

    /// <summary>Delivers an outcome to a callback off the caller's thread, exactly once, containing its exceptions.</summary>
    /// <param name="outcome">The call's outcome; never faults.</param>
    /// <param name="callback">The callback.</param>
    /// <param name="eventId">The event, for the log.</param>
    /// <param name="logger">Where a throwing callback is logged.</param>
    /// <returns>A task that never faults.</returns>
    internal static Task DeliverAsync(Task<IpcResult> outcome, IIpcCallback callback, string eventId, ILogger logger) => Task.Run(async () =>
    {
        IpcResult result = await outcome.ConfigureAwait(false);
        try
        {
            callback.Result(result.IsSuccess, result.ToCallbackBundle());
        }
        catch (Exception ex)
        {
            IpcLog.CallbackThrew(logger, ex, eventId);
        }
    });

    /// <summary>
    /// Closes the connection: pending and later calls on this side fail with <paramref name="code"/> and
    /// <paramref name="reason"/>; the peer sees its pending calls fail with <see cref="IpcErrorCode.PeerDisconnected"/>.
    /// </summary>
    /// <param name="code">Why, for this side's callers.</param>
    /// <param name="reason">A readable reason.</param>
    public void Close(IpcErrorCode code, string reason)
    {
        if (this.TryBeginClose(code, reason))
        {
            this.Shutdown();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        this.Close(IpcErrorCode.PeerDisconnected, "the connection was disposed");
        await this.closed.Task.ConfigureAwait(false);
    }

    private Task<IpcResult> CallCoreAsync(string eventId, Bundle? data, byte[] payload, TimeSpan timeout, CancellationToken optionsToken, CancellationToken cancellationToken)
    {
        // The common case, nobody listening and no observer: the call is the wire call, with no wrapper of its own.
        return IpcTelemetry.IsCallTelemetryOn || this.options.Observer is not null
            ? this.CallObservedAsync(eventId, data, payload, timeout, optionsToken, cancellationToken)
            : this.CallOnWireAsync(eventId, payload, timeout, optionsToken, cancellationToken);
    }

    private async Task<IpcResult> CallObservedAsync(string eventId, Bundle? data, byte[] payload, TimeSpan timeout, CancellationToken optionsToken, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        DateTimeOffset startedAt = this.options.Observer is null ? default : DateTimeOffset.UtcNow;
        using Activity? activity = IpcTelemetry.Source.HasListeners() ? IpcTelemetry.Source.StartActivity("ipc.call " + eventId, ActivityKind.Client) : null;
        activity?.SetTag("ipc.event", eventId).SetTag("ipc.peer.app_id", this.Remote.AppId).SetTag("ipc.peer.pid", this.Remote.ProcessId);
        TagList sideTags = IpcTelemetry.SideTags(this.registry.Side, "out");
        IpcTelemetry.InFlight.Add(1, sideTags);
        IpcTelemetry.Bytes.Add(payload.Length, sideTags);
        IpcResult result = IpcResult.Failure(IpcErrorCode.PeerDisconnected, "The call ended unexpectedly.");
        try
        {
            result = await this.CallOnWireAsync(eventId, payload, timeout, optionsToken, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            IpcTelemetry.InFlight.Add(-1, sideTags);
            IpcTelemetry.Complete(activity, this.registry.Side, "out", eventId, result.ErrorCode, started);
            if (this.options.Observer is not null)
            {
                this.Observe(true, eventId, data ?? new Bundle(), result, startedAt, started);
            }
        }
    }

    private void Observe(bool outgoing, string eventId, Bundle request, IpcResult result, DateTimeOffset startedAt, long startTimestamp)
    {
        if (this.options.Observer is { } observer)
        {
            try
            {
                observer.OnCallCompleted(new IpcCallRecord(this.registry.Side, outgoing, this.Remote, eventId, request, result, startedAt, Stopwatch.GetElapsedTime(startTimestamp)));
            }
            catch (Exception)
            {
                // An observer's failure must not change the call's outcome.
            }
        }
    }

    private async Task<IpcResult> CallOnWireAsync(string eventId, byte[] payload, TimeSpan timeout, CancellationToken optionsToken, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();

        // Charged before it is queued (also while it waits for a slot below), refunded when the call ends; a peer that
        // stops reading makes later calls fail here at once instead of piling up bytes (the transport's stall watch
        // closes the connection in the end).
        if (!this.governor.TryChargeOutgoing(payload.Length))
        {
            return IpcResult.Failure(IpcErrorCode.LimitsExceeded, $"The call to '{eventId}' was not sent: more than {this.options.MaxQueuedOutgoingBytes} bytes (MaxQueuedOutgoingBytes) are already queued for the other process, which is not reading them fast enough.");
        }

        // A payload on a channel of its own takes the charge with it: it is given back when the channel write ends (the
        // peer has taken the bytes, refused them, or the transfer was given up), not when the call's outcome is known.
        bool chargeHandedOver = false;
        try
        {
            using var call = new PendingCall(this, eventId, timeout, optionsToken, cancellationToken);

            // Read now: the source is disposed when this method returns, and the reply may be read after that.
            CancellationToken deadline = call.Token;

            // The peer handles at most PeerMaxConcurrentCalls of ours at once; the rest wait here in order, within their
            // own deadline, so that the peer need not answer Busy. (A peer keeps a slot until its handler ends, so after a
            // call of ours timed out while its handler ran on, the next may still hear Busy.)
            try
            {
                await this.governor.EnterOutgoingAsync(deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The deadline callback has set the outcome (deadline, cancellation or closing).
                return await call.Task.ConfigureAwait(false);
            }

            // The slot is given back when the invocation ends, not when the outcome is set: the peer counts the call
            // until its answer is written, and a call that timed out here may still be running there.
            Task<CallReply> invocation;
            ulong channel = 0;
            try
            {
                // Cancelling 'deadline' also makes StreamJsonRpc send $/cancelRequest, so the handler's token fires.
                TimeSpan remaining = timeout - Stopwatch.GetElapsedTime(started);
                int timeoutMs = (int)Math.Clamp(Math.Ceiling(remaining.TotalMilliseconds), 1, int.MaxValue);
                bool onChannel = this.payloads.GoesOnChannel(payload);
                (byte[]? inline, channel) = this.payloads.Send(payload, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), onChannel ? () => this.governor.RefundOutgoing(payload.Length) : null);
                chargeHandedOver = onChannel;
                invocation = this.rpc.InvokeWithCancellationAsync<CallReply>(CallMethod, [eventId, timeoutMs, inline, channel == 0 ? NoPayloadChannel : channel], deadline);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or ConnectionLostException or IOException)
            {
                this.governor.ExitOutgoing();
                this.payloads.Abandon(channel);
                return this.ClosedResult(eventId);
            }
            catch
            {
                this.governor.ExitOutgoing();
                this.payloads.Abandon(channel);
                throw;
            }

            _ = this.CompleteFromReplyAsync(invocation, call, channel, eventId, timeout, deadline);
            return await call.Task.ConfigureAwait(false);
        }
        finally
        {
            if (!chargeHandedOver)
            {
                this.governor.RefundOutgoing(payload.Length);
            }
        }
    }

    private async Task CompleteFromReplyAsync(Task<CallReply> invocation, PendingCall outcome, ulong channel, string eventId, TimeSpan timeout, CancellationToken deadline)
    {
        try
        {
            CallReply reply;
            try
            {
                reply = await invocation.ConfigureAwait(false);
            }
            finally
            {
                // When the invocation ends, however: its slot goes back, and a channel whose naming message was never
                // written (the call was cancelled first) is withdrawn — once the message is written, Abandon does nothing.
                this.governor.ExitOutgoing();
                this.payloads.Abandon(channel);
            }

            // An inline answer is decoded here and now; one on a channel may still be arriving, and the call's own deadline
            // still races it.
            IpcResult result = reply is { PayloadChannel: not 0 }
                ? await this.ReceiveReplyAsync(reply, eventId, timeout).ConfigureAwait(false)
                : this.ToResult(reply, eventId, reply?.Payload);
            if (result.ErrorCode == IpcErrorCode.Canceled && !deadline.IsCancellationRequested)
            {
                // Nobody here cancelled: the handling side gave the call up itself, which it does when its connection
                // closes (its handler's token fires), so for this caller the other side went away.
                result = IpcResult.Failure(IpcErrorCode.PeerDisconnected, $"The other process gave up the call to '{eventId}' without being asked (it is closing).", result.Data);
            }

            outcome.TrySetResult(result);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // The deadline, the caller or the connection cancelled the invocation: the deadline callback has set the outcome.
        }
        catch (Exception ex) when (ex is ConnectionLostException or ObjectDisposedException or IOException || this.rpc.IsDisposed || this.closing.IsCancellationRequested)
        {
            // Checked before the peer-fault cases below (ConnectionLostException is a RemoteRpcException): when the
            // transport dies, StreamJsonRpc may fault the invocation before this side has started closing.
            outcome.TrySetResult(this.ClosedResult(eventId));
        }
        catch (OperationCanceledException)
        {
            // The peer answered with a RequestCanceled error although nobody on this side cancelled: waiting for the
            // deadline would turn that into a false Timeout.
            IpcLog.ReplyUnreadable(this.logger, "an unsolicited cancellation");
            outcome.TrySetResult(IpcResult.Failure(IpcErrorCode.BadRequest, $"The other side answered the call to '{eventId}' as canceled, which this side did not ask for."));
        }
        catch (RemoteRpcException ex) when (ex is not RemoteSerializationException)
        {
            outcome.TrySetResult(IpcResult.Failure(IpcErrorCode.BadRequest, $"The other side refused the call to '{eventId}': {ex.Message}"));
        }
        catch (Exception ex)
        {
            // Anything else is an answer this side cannot classify (a result that is not a CallReply, elements of the
            // wrong types): it is the peer's fault, and the caller learns it now rather than at the deadline.
            IpcLog.ReplyUnreadable(this.logger, ex.GetType().Name);
            outcome.TrySetResult(IpcResult.Failure(IpcErrorCode.BadRequest, $"The answer to '{eventId}' was malformed."));
        }
    }

    /// <summary>Receives an answer whose bundle comes on a payload channel, within the call's timeout counted from now.</summary>
    private async Task<IpcResult> ReceiveReplyAsync(CallReply reply, string eventId, TimeSpan timeout)
    {
        using var transfer = CancellationTokenSource.CreateLinkedTokenSource(this.closing.Token);
        transfer.CancelAfter(timeout);
        Bundle data;
        try
        {
            data = await this.payloads.ReceiveBundleAsync(reply.Payload, reply.PayloadChannel, transfer.Token).ConfigureAwait(false);
        }
        catch (BundleLimitExceededException ex)
        {
            return IpcResult.Failure(IpcErrorCode.LimitsExceeded, $"The answer to '{eventId}' was refused: {ex.Message}");
        }
        catch (FormatException ex)
        {
            IpcLog.ReplyUnreadable(this.logger, ex.Message);
            return IpcResult.Failure(IpcErrorCode.BadRequest, $"The answer to '{eventId}' could not be read: {ex.Message}");
        }
        catch (ProtocolViolationException ex)
        {
            this.OnProtocolViolation(ex.Violation, ex.Message);
            return this.ClosedResult(eventId);
        }

        return ToResult(reply, data);
    }

    /// <summary>Turns an answer whose bundle came inline into the call's outcome.</summary>
    private IpcResult ToResult(CallReply? reply, string eventId, ReadOnlyMemory<byte> bytes)
    {
        if (reply is null)
        {
            return IpcResult.Failure(IpcErrorCode.BadRequest, $"The answer to '{eventId}' was empty.");
        }

        Bundle data;
        try
        {
            data = BundleCodec.Decode(bytes, this.options.Limits);
        }
        catch (BundleLimitExceededException ex)
        {
            return IpcResult.Failure(IpcErrorCode.LimitsExceeded, $"The answer to '{eventId}' was refused: {ex.Message}");
        }
        catch (FormatException ex)
        {
            IpcLog.ReplyUnreadable(this.logger, ex.Message);
            return IpcResult.Failure(IpcErrorCode.BadRequest, $"The answer to '{eventId}' could not be read: {ex.Message}");
        }

        return ToResult(reply, data);
    }

    /// <summary>Turns an answer and its decoded bundle into the call's outcome.</summary>
    private static IpcResult ToResult(CallReply reply, Bundle data)
    {
        if (reply.Status == 0)
        {
            return IpcResult.Success(data);
        }

        var code = Enum.IsDefined((IpcErrorCode)reply.Status) ? (IpcErrorCode)reply.Status : IpcErrorCode.HandlerFailed;
        return IpcResult.Failure(code, reply.Message ?? code.ToString(), data);
    }

    /// <summary>The outcome of a call that the connection's closing ended: the close's code and reason.</summary>
    /// <param name="eventId">The event called.</param>
    /// <returns>The failure.</returns>
    internal IpcResult ClosedResult(string eventId) => IpcResult.Failure(this.closeCode, $"The call to '{eventId}' failed: {this.closeReason}.");

    /// <summary>
    /// Runs on StreamJsonRpc's in-order dispatcher: only what must happen in order, and is cheap, is done here (counting the
    /// call against <see cref="IpcConnectionOptions.MaxConcurrentIncomingCalls"/>, the authorizer, the name's check and
    /// look-up); decoding and the handler run on the thread pool (<see cref="IncomingCallRun"/>), so a handler that blocks
    /// its thread holds up no other call from the peer.
    /// </summary>
    private async Task<CallReply> OnCallAsync(string eventId, int timeoutMs, byte[]? payload, ulong payloadChannel, CancellationToken cancellationToken)
    {
        // Counted from here until the handler ends (a run, once started, owns the slot); the caller's side keeps to the
        // same cap (PeerMaxConcurrentCalls).
        bool admitted = this.governor.TryEnterIncoming();
        bool slotHandedOver = false;
        IncomingCallRun? run = null;
        try
        {
            // Telemetry and the observer's record only when someone listens; decided once, so the in-flight count's
            // increment and decrement always pair.
            bool telemetry = IpcTelemetry.IsCallTelemetryOn;
            bool observed = this.options.Observer is not null;
            long started = telemetry || observed ? Stopwatch.GetTimestamp() : 0;
            DateTimeOffset startedAt = observed ? DateTimeOffset.UtcNow : default;

            // The event name is the peer's choice: spans, tags and logs carry it only when it is registered here, so a
            // peer can neither inflate the metrics' cardinality nor write what it likes into this side's logs.
            string known = this.KnownEventName(eventId);

            // Activity.Current is StreamJsonRpc's inbound activity, parented by the caller's traceparent (none when the
            // request carried no trace context).
            using Activity? activity = telemetry && IpcTelemetry.Source.HasListeners() ? IpcTelemetry.Source.StartActivity("ipc.handle " + known, ActivityKind.Server) : null;
            activity?.SetTag("ipc.event", known).SetTag("ipc.caller.app_id", this.Remote.AppId).SetTag("ipc.caller.pid", this.Remote.ProcessId);
            TagList sideTags = telemetry ? IpcTelemetry.SideTags(this.registry.Side, "in") : default;
            if (telemetry)
            {
                IpcTelemetry.InFlight.Add(1, sideTags);
                IpcTelemetry.Bytes.Add(payload?.Length ?? 0, sideTags);
            }

            CallReply reply = Reply(IpcErrorCode.HandlerFailed, "The call ended unexpectedly.");
            try
            {
                // Before the cap, the payload and the handler's lookup: a refused call costs nothing but its answer, which
                // tells the peer nothing of the policy nor of which events exist here.
                if (!this.IsAuthorized(eventId, known))
                {
                    this.payloads.Discard(payloadChannel);
                    reply = Reply(IpcErrorCode.Denied, $"Denied: this process may not call '{eventId}' in the {this.registry.Side.ToString().ToLowerInvariant()} process.");
                    return reply;
                }

                if (!admitted)
                {
                    this.payloads.Discard(payloadChannel);
                    this.refusals.IncomingRefused(known, $"more than {this.options.MaxConcurrentIncomingCalls} calls from the other process at once; answered Busy");
                    reply = Reply(IpcErrorCode.Busy, $"Busy: the {this.registry.Side.ToString().ToLowerInvariant()} process is already handling {this.options.MaxConcurrentIncomingCalls} calls from this process (its cap); the call was not started.");
                    return reply;
                }

                if (!IpcEventRegistry.IsValidEventId(eventId, out string problem))
                {
                    this.payloads.Discard(payloadChannel);
                    this.refusals.IncomingRefused("unknown", problem);
                    reply = Reply(IpcErrorCode.BadRequest, $"Bad request: {problem}.");
                    return reply;
                }

                if (!this.registry.TryGetHandler(eventId, out IpcEventHandler? handler))
                {
                    this.payloads.Discard(payloadChannel);
                    reply = Reply(IpcErrorCode.NoHandler, $"No handler is registered for '{eventId}' in the {this.registry.Side.ToString().ToLowerInvariant()} process.");
                    return reply;
                }

                // The event's own timeout replaces the connection's cap, also when it is longer (a registered per-event
                // override); the caller's shorter deadline still wins.
                TimeSpan timeout = timeoutMs > 0 ? TimeSpan.FromMilliseconds(timeoutMs) : this.options.DefaultCallTimeout;
                timeout = Min(timeout, handler.Timeout ?? this.options.MaxCallTimeout);

                // Off the dispatcher, once: the run decodes and calls the handler on a pool thread and, from then on, owns
                // the slot. The answer comes back on the run's thread (no further hop when the handler answers at once).
                run = new IncomingCallRun(this, eventId, handler, timeout, payload, payloadChannel, cancellationToken);
                slotHandedOver = true;
                run.Start();
                reply = await run.Task.ConfigureAwait(false);
                return reply;
            }
            finally
            {
                IpcErrorCode outcome = Enum.IsDefined((IpcErrorCode)reply.Status) ? (IpcErrorCode)reply.Status : IpcErrorCode.HandlerFailed;
                if (telemetry)
                {
                    IpcTelemetry.InFlight.Add(-1, sideTags);
                    IpcTelemetry.Bytes.Add(reply.Payload?.Length ?? 0, IpcTelemetry.SideTags(this.registry.Side, "out"));
                    IpcTelemetry.Complete(activity, this.registry.Side, "in", known, outcome, started);
                }

                if (observed)
                {
                    IpcResult result = outcome == IpcErrorCode.None ? IpcResult.Success(run?.Answer) : IpcResult.Failure(outcome, reply.Message ?? outcome.ToString(), run?.Answer);
                    this.Observe(false, eventId ?? string.Empty, run?.Request ?? new Bundle(), result, startedAt, started);
                }
            }
        }
        finally
        {
            if (admitted && !slotHandedOver)
            {
                this.governor.ExitIncoming();
            }
        }
    }

    /// <summary>
    /// Asks <see cref="IpcConnectionOptions.CallAuthorizer"/>, if any, whether the peer may call <paramref name="eventId"/>;
    /// a refusal is logged (rate-limited) and counted here. A malformed event name is not asked about: it is answered
    /// <see cref="IpcErrorCode.BadRequest"/> later. An authorizer that throws refuses.
    /// </summary>
    /// <param name="eventId">The event the peer named.</param>
    /// <param name="known">The same, or <c>unknown</c> when it is not registered here: what logs and metrics may carry.</param>
    private bool IsAuthorized(string eventId, string known)
    {
        if (this.options.CallAuthorizer is not { } authorizer || !IpcEventRegistry.IsValidEventId(eventId, out _))
        {
            return true;
        }

        string reason;
        try
        {
            if (authorizer.IsAllowed(this.Remote, eventId))
            {
                return true;
            }

            reason = "the call authorizer refused it";
        }
        catch (Exception ex)
        {
            reason = $"the call authorizer threw {ex.GetType().Name} ({ex.Message}), which refuses";
        }

        IpcTelemetry.RecordDenied(this.registry.Side, known, this.Remote.AppId);
        this.refusals.CallDenied(known, $"{this.Remote.Side} {this.Remote.AppId} (pid {this.Remote.ProcessId})", reason);
        return false;
    }

    /// <summary>Gets <paramref name="eventId"/> when it is registered on this side, otherwise <c>unknown</c>.</summary>
    private string KnownEventName(string? eventId) => eventId is not null && this.registry.TryGetHandler(eventId, out _) ? eventId : "unknown";

    /// <summary>
    /// An admitted incoming call from its one hop off StreamJsonRpc's dispatcher to its reply. The task StreamJsonRpc
    /// awaits is this source's: set by the run (the handler's answer, or a refusal of the payload) or by the deadline,
    /// whichever comes first.
    /// </summary>
    /// <remarks>
    /// <para>One hop: the run is queued to the pool (with the execution context, so the handler sees the inbound span as
    /// <see cref="Activity.Current"/>) and calls the handler inline; a handler that answers before it returns (most do)
    /// has its reply encoded and set on the same thread, with no task of its own, no <c>Task.WhenAny</c> and no second
    /// hop. A handler that answers and then blocks its thread (or works on) does not hold its answer back: the answer is
    /// also queued to a pool work item when accepted, and whichever of that item and the handler's return comes first sends
    /// it (never inside the handler's <c>Ok()</c>, whose caller may hold locks of its own).</para>
    /// <para>Deadline: a handler that blocks its thread before its first await holds up the run, but not the reply: once
    /// the handler has started, the deadline's callback expires the request and sets the Timeout (or Canceled) reply from a
    /// pool work item of its own (never inline in a <c>Cancel()</c> of StreamJsonRpc's or the connection's). Before the
    /// handler starts, the run sees the deadline itself.</para>
    /// <para>Continuations run synchronously: the thread that sets the reply goes on to hand it to StreamJsonRpc.</para>
    /// <para>The slot: the run gives back the incoming slot when the handler's task ends, not when the reply is set, so the
    /// cap bounds work, not answers.</para>
    /// </remarks>
    private sealed class IncomingCallRun : TaskCompletionSource<CallReply>, IpcRequest.IAnswerListener
    {
        /// <summary>The handler's synchronous part runs on the run's thread: an answer given now is sent by <see cref="IpcRequest.IAnswerListener.OnAnswered"/>.</summary>
        private const int HandlerRunning = 0;

        /// <summary>The handler returned its task: the run awaits the answer itself.</summary>
        private const int HandlerReturned = 1;

        /// <summary>An answer given while the handler ran was taken by <see cref="IpcRequest.IAnswerListener.OnAnswered"/>.</summary>
        private const int AnswerTaken = 2;

        private readonly IpcConnection connection;
        private readonly string eventId;
        private readonly IpcEventHandler handler;
        private readonly TimeSpan timeout;
        private readonly byte[]? payload;
        private readonly ulong payloadChannel;
        private readonly CancellationToken cancellationToken;
        private IpcRequest? request;
        private int handlerStarted;
        private int phase;
        private IpcResult? taken;
        private int sent;

        public IncomingCallRun(IpcConnection connection, string eventId, IpcEventHandler handler, TimeSpan timeout, byte[]? payload, ulong payloadChannel, CancellationToken cancellationToken)
            : base(TaskCreationOptions.None)
        {
            this.connection = connection;
            this.eventId = eventId;
            this.handler = handler;
            this.timeout = timeout;
            this.payload = payload;
            this.payloadChannel = payloadChannel;
            this.cancellationToken = cancellationToken;
        }

        /// <summary>Gets the decoded request, once it is, for the observer.</summary>
        public Bundle? Request { get; private set; }

        /// <summary>Gets the handler's answer, once accepted and encoded, for the observer.</summary>
        public Bundle? Answer { get; private set; }

        /// <summary>Queues the run to the thread pool, with the caller's execution context.</summary>
        public void Start() => ThreadPool.QueueUserWorkItem(static run => _ = run.RunAsync(), this, preferLocal: false);

        private async Task RunAsync()
        {
            Task? handlerRun = null;
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(this.cancellationToken);
                deadline.CancelAfter(this.timeout);
                if (await this.ReceiveAsync(deadline.Token).ConfigureAwait(false) is not { } data)
                {
                    return;
                }

                this.Request = data;
                var request = new IpcRequest(this.eventId, data, this.connection.Remote, deadline.Token, this.connection.logger, this);
                this.request = request;
                using CancellationTokenRegistration registration = deadline.Token.UnsafeRegister(static state => ((IncomingCallRun)state!).OnDeadline(), this);

                // Full fence: either the deadline's callback sees the handler started (and answers), or this sees the
                // deadline passed (and answers): never neither.
                Interlocked.Exchange(ref this.handlerStarted, 1);
                if (deadline.IsCancellationRequested)
                {
                    // The deadline passed while the request arrived (or the peer asked for almost none): no work is started.
                    this.TrySetResult(this.cancellationToken.IsCancellationRequested
                        ? Reply(IpcErrorCode.Canceled, $"The call to '{this.eventId}' was canceled.")
                        : Reply(IpcErrorCode.Timeout, $"The deadline of '{this.eventId}' passed before its handler could start."));
                    return;
                }

                // The handler runs inline until its first await; an answer it gives before then (and then blocks, or works on)
                // is sent by a pool work item OnAnswered queues, or here once the handler returns, whichever comes first:
                // never inside the handler's Ok() (the reply's continuations would run there, under the handler's locks).
                handlerRun = this.connection.RunHandlerAsync(this.handler, request);
                if (Interlocked.CompareExchange(ref this.phase, HandlerReturned, HandlerRunning) == HandlerRunning)
                {
                    if (await request.Answer.ConfigureAwait(false) is { } result)
                    {
                        this.TrySetResult(this.EncodeAnswer(result));
                    }
                }
                else
                {
                    this.SendTaken();
                }
            }
            catch (Exception ex)
            {
                // Nothing above throws by design; should something, the caller still gets one answer and the slot still
                // goes back.
                IpcLog.HandlerThrew(this.connection.logger, ex, this.eventId);
                this.TrySetResult(Reply(IpcErrorCode.HandlerFailed, $"The handler for '{this.eventId}' failed."));
            }
            finally
            {
                // The slot is the handler's, not the answer's: a handler that outlives its deadline (a peer that asks for
                // 1 ms deadlines gets Timeout at once) keeps the slot until it ends. The handler's run never faults.
                if (handlerRun is { IsCompleted: false })
                {
                    await handlerRun.ConfigureAwait(false);
                }

                this.connection.governor.ExitIncoming();
            }
        }

        /// <summary>
        /// An answer was accepted: while the handler's synchronous part still runs, it is sent from a pool work item queued
        /// here, or by the run as soon as the handler returns, whichever comes first (never inside the handler's Ok(), where
        /// the reply's continuations would run under the handler's locks, nor inside someone else's <c>Cancel()</c>). Once the
        /// handler has returned, the run sends it.
        /// </summary>
        /// <param name="result">The answer.</param>
        void IpcRequest.IAnswerListener.OnAnswered(IpcResult result)
        {
            // Stored before the phase is published: whoever sees AnswerTaken finds the answer.
            Volatile.Write(ref this.taken, result);
            if (Interlocked.CompareExchange(ref this.phase, AnswerTaken, HandlerRunning) != HandlerRunning)
            {
                return;
            }

            ThreadPool.UnsafeQueueUserWorkItem(static run => run.SendTaken(), this, preferLocal: false);
        }

        /// <summary>Sends the answer OnAnswered took, once: from its work item or from the run after the handler returned.</summary>
        private void SendTaken()
        {
            if (Interlocked.Exchange(ref this.sent, 1) != 0)
            {
                return;
            }

            try
            {
                this.TrySetResult(this.EncodeAnswer(Volatile.Read(ref this.taken)!));
            }
            catch (Exception ex)
            {
                IpcLog.HandlerThrew(this.connection.logger, ex, this.eventId);
                this.TrySetResult(Reply(IpcErrorCode.HandlerFailed, $"The handler for '{this.eventId}' failed."));
            }
        }

        /// <summary>Receives and decodes the request; on failure, sets the reply and returns null.</summary>
        private async ValueTask<Bundle?> ReceiveAsync(CancellationToken deadline)
        {
            IpcConnection connection = this.connection;
            try
            {
                return this.payloadChannel == 0
                    ? BundleCodec.Decode(this.payload.AsMemory(), connection.options.Limits)
                    : await connection.payloads.ReceiveBundleAsync(this.payload, this.payloadChannel, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                this.TrySetResult(Reply(this.cancellationToken.IsCancellationRequested ? IpcErrorCode.Canceled : IpcErrorCode.Timeout, $"The request to '{this.eventId}' did not arrive in full before its deadline."));
            }
            catch (BundleLimitExceededException ex)
            {
                connection.refusals.IncomingRefused(this.eventId, ex.Message);
                this.TrySetResult(Reply(IpcErrorCode.LimitsExceeded, "The request was refused: " + ex.Message));
            }
            catch (FormatException ex)
            {
                connection.refusals.IncomingRefused(this.eventId, ex.Message);
                this.TrySetResult(Reply(IpcErrorCode.BadRequest, "Bad request: " + ex.Message));
            }
            catch (ProtocolViolationException ex)
            {
                // The peer left the payload channel hanging: it is cut off, and this answer is never sent.
                connection.OnProtocolViolation(ex.Violation, ex.Message);
                this.TrySetResult(Reply(IpcErrorCode.PeerDisconnected, "The connection closed: " + ex.Message));
            }

            return null;
        }

        /// <summary>Encodes an accepted answer and charges it to the outgoing queue.</summary>
        private CallReply EncodeAnswer(IpcResult result)
        {
            IpcConnection connection = this.connection;
            this.Answer = result.Data;
            byte[] encoded;
            try
            {
                encoded = BundleCodec.Encode(result.Data, connection.options.Limits);
            }
            catch (BundleLimitExceededException ex)
            {
                connection.refusals.IncomingRefused(this.eventId, "the answer is too large: " + ex.Message);
                return Reply(IpcErrorCode.LimitsExceeded, $"The answer to '{this.eventId}' was not sent: " + ex.Message);
            }

            // An answer is charged to the outgoing queue while this side hands it over, but never refused for it: its work
            // is done, and answers in flight are bounded by MaxConcurrentIncomingCalls times the bundle limit.
            // An answer on a channel of its own stays charged until the peer has taken it (or it is given up): a peer that
            // asks for large answers and never reads them finds the bound full, and its next large answer refused.
            bool onChannel = connection.payloads.GoesOnChannel(encoded);
            if (!onChannel)
            {
                connection.governor.ChargeOutgoing(encoded.Length);
            }
            else if (!connection.governor.TryChargeOutgoing(encoded.Length))
            {
                return Reply(IpcErrorCode.LimitsExceeded, $"The answer to '{this.eventId}' was not sent: more than {connection.options.MaxQueuedOutgoingBytes} bytes (MaxQueuedOutgoingBytes) are already queued for the calling process, which is not reading them fast enough.");
            }

            bool handedOver = false;
            try
            {
                (byte[]? inline, ulong channel) = connection.payloads.Send(encoded, this.timeout, onChannel ? () => connection.governor.RefundOutgoing(encoded.Length) : null);
                handedOver = onChannel;
                return new CallReply((int)result.ErrorCode, result.ErrorMessage, inline, channel);
            }
            finally
            {
                if (!handedOver)
                {
                    connection.governor.RefundOutgoing(encoded.Length);
                }
            }
        }

        /// <summary>The deadline's callback: runs inside whichever <c>Cancel()</c> fired it, so it only expires and queues.</summary>
        private void OnDeadline()
        {
            if (this.request is not { } request || !request.TryExpire())
            {
                return;
            }

            IpcConnection connection = this.connection;
            IpcLog.HandlerTimedOut(
                connection.logger,
                this.eventId,
                connection.closing.IsCancellationRequested ? "the connection closed"
                : this.cancellationToken.IsCancellationRequested ? "the caller canceled the call, or its own deadline passed first"
                : $"its deadline of {this.timeout.TotalMilliseconds:0} ms passed; the caller gets Timeout");
            if (Volatile.Read(ref this.handlerStarted) != 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static run => run.AnswerExpired(), this, preferLocal: false);
            }
        }

        private void AnswerExpired() => this.TrySetResult(this.cancellationToken.IsCancellationRequested
            ? Reply(IpcErrorCode.Canceled, $"The call to '{this.eventId}' was canceled.")
            : Reply(IpcErrorCode.Timeout, $"The handler for '{this.eventId}' did not answer within {this.timeout.TotalMilliseconds:0} ms."));
    }

    private async Task RunHandlerAsync(IpcEventHandler handler, IpcRequest request)
    {
        try
        {
            await handler.Invoke(request).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (request.CancellationToken.IsCancellationRequested)
        {
            // The handler gave up because its token fired; the deadline path answers the caller.
        }
        catch (Exception ex)
        {
            IpcLog.HandlerThrew(this.logger, ex, request.EventId);

            // The exception's type, message and stack stay here: they may hold paths, secrets or internals.
            request.TryAnswer(IpcResult.Failure(IpcErrorCode.HandlerFailed, $"The handler for '{request.EventId}' failed."));
        }
    }

    private static CallReply Reply(IpcErrorCode code, string message) => new((int)code, message, null);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void SweepUnclaimed()
    {
        if (this.closing.IsCancellationRequested)
        {
            this.unclaimedSweep.Dispose();
            return;
        }

        if (this.payloads.Sweep() is ulong expired)
        {
            this.OnProtocolViolation(ProtocolViolation.UnclaimedChannelExpired, $"payload channel {expired} was offered and not named by any message within {this.options.UnclaimedChannelTimeout.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>Cuts off a peer that broke the protocol: recorded, logged and counted once, then closed like a disconnection.</summary>
    private void OnProtocolViolation(ProtocolViolation code, string detail)
    {
        if (!this.TryBeginClose(IpcErrorCode.PeerDisconnected, $"the other process broke the protocol ({code}): {detail}", code))
        {
            return;
        }

        IpcLog.ProtocolViolation(this.logger, code, $"{this.Remote.Side} {this.Remote.AppId} (pid {this.Remote.ProcessId})", detail);
        IpcTelemetry.RecordViolation(this.registry.Side, code);
        this.unclaimedSweep.Dispose();
        this.Shutdown();
    }

    /// <summary>A write to the peer (the socket, channel 0, a payload channel) made no progress for the stall timeout.</summary>
    private void OnPeerStoppedReading()
    {
        TimeSpan timeout = this.options.StalledWriteTimeout;
        if (this.TryBeginClose(IpcErrorCode.PeerDisconnected, $"the other process stopped reading (a write made no progress for {timeout.TotalMilliseconds:0} ms)"))
        {
            IpcLog.PeerStoppedReading(this.logger, timeout.TotalMilliseconds);
            this.Shutdown();
        }
    }

    private void OnDisconnected(string reason)
    {
        if (this.TryBeginClose(IpcErrorCode.PeerDisconnected, "the other process disconnected (" + reason + ")"))
        {
            this.Shutdown();
        }
    }

    /// <summary>Records why the connection closes; only the first caller wins and must then call <see cref="Shutdown"/>.</summary>
    private bool TryBeginClose(IpcErrorCode code, string reason, ProtocolViolation? violation = null)
    {
        lock (this.gate)
        {
            if (this.closeStarted)
            {
                return false;
            }

            this.closeStarted = true;
            this.closeCode = code;
            this.closeReason = reason;
            this.violation = violation;
            return true;
        }
    }

    /// <summary>Cancels <see cref="ClosingToken"/> and tears down; called once, by the winner of <see cref="TryBeginClose"/>.</summary>
    private void Shutdown()
    {
        try
        {
            IpcLog.ConnectionClosed(this.logger, $"{this.Remote.Side} {this.Remote.AppId} (pid {this.Remote.ProcessId})", this.closeReason);

            // Cancelling fails every pending call at once (their registrations race the answer); it must happen
            // before the transport is torn down so that no call sees a bare ConnectionLostException first. It runs
            // every callback registered on ClosingToken inline, outside the lock (a callback may call back in), and a
            // callback that throws must not stop the teardown.
            this.closing.Cancel();
        }
        catch (AggregateException ex)
        {
            IpcLog.ClosingCallbackThrew(this.logger, ex);
        }
        finally
        {
            this.refusals.Flush();
            _ = this.TearDownAsync();
        }
    }

    private async Task TearDownAsync()
    {
        try
        {
            this.rpc.Dispose();

            // Bounded: a transport whose other end is wedged must not keep Completion (and DisposeAsync) pending forever.
            await this.multiplexor.DisposeAsync().AsTask().WaitAsync(TeardownTimeout).ConfigureAwait(false);
            await this.transport.DisposeAsync().AsTask().WaitAsync(TeardownTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or TimeoutException)
        {
            // The transport is already broken or stuck; what could be released has been.
        }
        finally
        {
            this.closed.TrySetResult();
        }
    }
}
