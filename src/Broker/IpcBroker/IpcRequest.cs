using Microsoft.Extensions.Logging;

namespace IpcBroker;

/// <summary>
/// An incoming call as a handler sees it: the event, the bundle, who called, and the one way to answer.
/// </summary>
/// <remarks>
/// <para>Answer exactly once with <see cref="Ok"/> or <see cref="Fail(IpcErrorCode, string, Bundle?)"/>, from any thread, at
/// any time before the deadline — also after the handler method has returned (the SDK's callback style). A second
/// answer, or one after the deadline, is ignored and logged as a warning; it never reaches the caller.</para>
/// <para><see cref="CancellationToken"/> fires at the deadline, when the caller cancels, or when the connection closes.</para>
/// </remarks>
public sealed class IpcRequest
{
    private const int Open = 0;
    private const int Answered = 1;
    private const int Expired = 2;

    /// <summary>Completes once: with the accepted answer, or with null when the request expired first.</summary>
    private readonly TaskCompletionSource<IpcResult?> answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger logger;
    private readonly IAnswerListener? listener;
    private int closed;

    internal IpcRequest(string eventId, Bundle data, IpcCaller caller, CancellationToken cancellationToken, ILogger logger, IAnswerListener? listener = null)
    {
        this.listener = listener;
        this.EventId = eventId;
        this.Data = data;
        this.Caller = caller;
        this.CancellationToken = cancellationToken;
        this.logger = logger;
    }

    /// <summary>Gets the event name that was called.</summary>
    public string EventId { get; }

    /// <summary>Gets the request bundle (the SDK's <c>req.data</c>).</summary>
    public Bundle Data { get; }

    /// <summary>Gets who called, as the broker knows it from the session.</summary>
    public IpcCaller Caller { get; }

    /// <summary>Gets a token that fires when the answer is no longer wanted.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets a value indicating whether an answer was accepted, or the deadline passed.</summary>
    public bool IsAnswered => Volatile.Read(ref this.closed) != 0;

    /// <summary>Gets the accepted answer, for the broker; null when the deadline passed first (see <see cref="TryExpire"/>).</summary>
    internal Task<IpcResult?> Answer => this.answer.Task;

    /// <summary>Answers with success (the SDK's <c>req.ok(bundle)</c>).</summary>
    /// <param name="response">The response; null sends an empty bundle.</param>
    /// <returns><see langword="true"/> if this was the answer; <see langword="false"/> if it was ignored.</returns>
    public bool Ok(Bundle? response = null) => this.TryAnswer(IpcResult.Success(response));

    /// <summary>Answers with a failure that the caller sees as <see cref="IpcErrorCode.HandlerFailed"/>.</summary>
    /// <param name="message">A reason fit for the caller's eyes: it crosses the process boundary.</param>
    /// <returns><see langword="true"/> if this was the answer; <see langword="false"/> if it was ignored.</returns>
    public bool Fail(string message) => this.Fail(IpcErrorCode.HandlerFailed, message);

    /// <summary>Answers with a failure.</summary>
    /// <param name="code">Why (for example <see cref="IpcErrorCode.Denied"/>); not <see cref="IpcErrorCode.None"/>.</param>
    /// <param name="message">A reason fit for the caller's eyes: it crosses the process boundary.</param>
    /// <param name="detail">Optional detail for the caller.</param>
    /// <returns><see langword="true"/> if this was the answer; <see langword="false"/> if it was ignored.</returns>
    public bool Fail(IpcErrorCode code, string message, Bundle? detail = null) => this.TryAnswer(IpcResult.Failure(code, message, detail));

    /// <summary>Closes the request because its deadline passed; later answers are ignored.</summary>
    /// <returns><see langword="true"/> if no answer had been accepted.</returns>
    internal bool TryExpire()
    {
        if (Interlocked.CompareExchange(ref this.closed, Expired, Open) != Open)
        {
            return false;
        }

        this.answer.SetResult(null);
        return true;
    }

    /// <summary>Closes the request with an answer made by the broker (a handler that threw).</summary>
    /// <param name="result">The answer.</param>
    /// <returns>Whether it was accepted.</returns>
    internal bool TryAnswer(IpcResult result)
    {
        int was = Interlocked.CompareExchange(ref this.closed, Answered, Open);
        if (was != Open)
        {
            IpcLog.AnswerIgnored(this.logger, this.EventId, was == Answered ? "the request was already answered" : "its deadline had passed");
            return false;
        }

        this.answer.SetResult(result);
        this.listener?.OnAnswered(result);
        return true;
    }

    /// <summary>Told of the accepted answer on the answering thread, right after it is accepted (the broker's incoming run).</summary>
    internal interface IAnswerListener
    {
        /// <summary>An answer was accepted; must not throw.</summary>
        /// <param name="result">The answer.</param>
        void OnAnswered(IpcResult result);
    }
}
