namespace IpcBroker;

/// <summary>
/// The one outcome of an outgoing call and its one deadline: a single object raced by the answer, its own timer, the
/// caller's tokens and the connection's closing; the first to set the outcome wins, the rest are ignored.
/// </summary>
/// <remarks>
/// <para>One <see cref="CancellationTokenSource"/> per call, started with the call's timeout, stands in for a linked source
/// plus <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>: the caller's tokens reach it through registrations made
/// only on tokens that can be cancelled (most calls pass none), and the connection's long-lived closing token through one
/// registration whose node the token's source reuses. <see cref="Token"/> fires for all four reasons; the outcome says
/// which came first. Nothing here waits on the peer.</para>
/// <para>Not pooled: a source can be reset (<see cref="CancellationTokenSource.TryReset"/>) only if nothing still holds its
/// token, and StreamJsonRpc's registration for <c>$/cancelRequest</c> and a payload transfer may outlive the outcome; a
/// reused source cancelled for its next call would then reach the previous one.</para>
/// <para>Disposal removes the registrations on the caller's tokens and the connection's (waiting for one that is running),
/// then disposes the source; continuations run asynchronously, so none runs inside a caller's <c>Cancel()</c>.</para>
/// </remarks>
internal sealed class PendingCall : TaskCompletionSource<IpcResult>, IDisposable
{
    private readonly IpcConnection connection;
    private readonly string eventId;
    private readonly TimeSpan timeout;
    private readonly CancellationToken optionsToken;
    private readonly CancellationToken callerToken;
    private readonly CancellationTokenSource deadline;
    private readonly CancellationTokenRegistration onDeadline;
    private readonly CancellationTokenRegistration onOptionsToken;
    private readonly CancellationTokenRegistration onCallerToken;
    private readonly CancellationTokenRegistration onClosing;

    /// <summary>Initializes a new instance of the <see cref="PendingCall"/> class and starts its deadline.</summary>
    /// <param name="connection">The connection the call is made on: its closing ends the call with its reason.</param>
    /// <param name="eventId">The event, for the outcome's message.</param>
    /// <param name="timeout">The deadline, from now.</param>
    /// <param name="optionsToken">The token of the call's options.</param>
    /// <param name="callerToken">The token passed with the call.</param>
    public PendingCall(IpcConnection connection, string eventId, TimeSpan timeout, CancellationToken optionsToken, CancellationToken callerToken)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        this.connection = connection;
        this.eventId = eventId;
        this.timeout = timeout;
        this.optionsToken = optionsToken;
        this.callerToken = callerToken;
        this.deadline = new CancellationTokenSource(timeout);

        // The outcome's registration first: a token already cancelled below then finds it in place.
        this.onDeadline = this.deadline.Token.UnsafeRegister(static state => ((PendingCall)state!).OnDeadline(), this);
        if (optionsToken.CanBeCanceled)
        {
            this.onOptionsToken = optionsToken.UnsafeRegister(static state => ((PendingCall)state!).deadline.Cancel(), this);
        }

        if (callerToken.CanBeCanceled)
        {
            this.onCallerToken = callerToken.UnsafeRegister(static state => ((PendingCall)state!).deadline.Cancel(), this);
        }

        this.onClosing = connection.ClosingToken.UnsafeRegister(static state => ((PendingCall)state!).deadline.Cancel(), this);
    }

    /// <summary>Gets the token that fires at the deadline, when a caller's token fires, or when the connection closes.</summary>
    /// <exception cref="ObjectDisposedException">After <see cref="Dispose"/>: read it before.</exception>
    public CancellationToken Token => this.deadline.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        // The registrations that cancel the source go first (Dispose waits for one that is running), so that nothing
        // cancels a disposed source.
        this.onClosing.Dispose();
        this.onCallerToken.Dispose();
        this.onOptionsToken.Dispose();
        this.onDeadline.Dispose();
        this.deadline.Dispose();
    }

    private void OnDeadline() => this.TrySetResult(
        !this.connection.IsConnected ? this.connection.ClosedResult(this.eventId)
        : this.optionsToken.IsCancellationRequested || this.callerToken.IsCancellationRequested ? IpcResult.Failure(IpcErrorCode.Canceled, $"The call to '{this.eventId}' was canceled.")
        : IpcResult.Failure(IpcErrorCode.Timeout, $"No answer to '{this.eventId}' within {this.timeout.TotalMilliseconds:0} ms."));
}
