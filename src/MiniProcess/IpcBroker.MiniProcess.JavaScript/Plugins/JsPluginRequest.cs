using System.Text.Json.Nodes;
using IpcBroker.MiniProcess.OpenApi;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// One call of a custom API from JavaScript (<c>wx.invokeNativePlugin</c>), as its handler sees it (the SDK's
/// <c>RequestEvent</c>): what was asked, for which mini program, and the ways to answer.
/// </summary>
/// <remarks>
/// <para>Answer exactly once with <see cref="Ok"/>, <see cref="Fail"/> or <see cref="OkSync"/>, from any thread: a later
/// answer is ignored and logged. <see cref="SendState"/> may be called any number of times before the final answer; the
/// mini program's <c>onState</c> receives the states in the order they were sent, all before the final answer. A state
/// sent after the final answer is ignored and logged.</para>
/// <para>The handler runs on the JavaScript thread: it must not block; slow work awaits, and answers from the thread the
/// work ends on.</para>
/// </remarks>
public sealed class JsPluginRequest
{
    /// <summary>The errno a <see cref="Fail"/> without one gives the mini program.</summary>
    public const int DefaultFailErrno = -1;

    private readonly object gate = new();
    private readonly IJsPluginReplies replies;
    private readonly ILogger logger;
    private bool answered;

    internal JsPluginRequest(string apiName, JsonObject data, MiniAppContext app, CancellationToken cancellationToken, IJsPluginReplies replies, ILogger logger)
    {
        this.ApiName = apiName;
        this.Data = data;
        this.App = app;
        this.CancellationToken = cancellationToken;
        this.replies = replies;
        this.logger = logger;
    }

    /// <summary>Gets the <c>api_name</c> the mini program called.</summary>
    public string ApiName { get; }

    /// <summary>Gets the mini program's <c>data</c> object (empty when it gave none).</summary>
    public JsonObject Data { get; }

    /// <summary>Gets the mini program and its way to the main process (<see cref="MiniAppContext.Main"/>).</summary>
    public MiniAppContext App { get; }

    /// <summary>
    /// Gets a token that fires when the mini program ends, or when the call went unanswered for
    /// <see cref="JavaScriptOptions.NativePluginTimeout"/> (the call has then failed with errno Timeout): nothing sent after
    /// that reaches the mini program. Once the call is answered, it no longer fires.
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets a value indicating whether the final answer was given.</summary>
    public bool IsAnswered
    {
        get
        {
            lock (this.gate)
            {
                return this.answered;
            }
        }
    }

    /// <summary>Answers with success: the mini program's <c>res</c> is <paramref name="result"/>'s fields plus <c>errMsg: "invokeNativePlugin:ok"</c>.</summary>
    /// <param name="result">The result, or null for none.</param>
    public void Ok(JsonObject? result = null) => this.TryAnswer(new JsPluginAnswer(true, result?.ToJsonString(), null, 0, Sync: false), nameof(this.Ok));

    /// <summary>Answers with failure: the mini program's <c>err</c> is <c>{errMsg: "invokeNativePlugin:fail &lt;message&gt;", errno}</c>.</summary>
    /// <param name="message">Why, or null.</param>
    /// <param name="errno">The error number; <see cref="DefaultFailErrno"/> when null.</param>
    public void Fail(string? message = null, int? errno = null) => this.TryAnswer(new JsPluginAnswer(false, null, message, errno ?? DefaultFailErrno, Sync: false), nameof(this.Fail));

    /// <summary>
    /// Answers with success synchronously: called while the handler runs, <c>wx.invokeNativePlugin</c> also returns
    /// <c>res</c> to the mini program at once (its callbacks still run later). Called later, it is <see cref="Ok"/>.
    /// </summary>
    /// <param name="result">The result, or null for none.</param>
    /// <returns>The value for the handler to return.</returns>
    public JsSyncAnswer OkSync(JsonObject? result = null)
    {
        this.TryAnswer(new JsPluginAnswer(true, result?.ToJsonString(), null, 0, Sync: true), nameof(this.OkSync));
        return JsSyncAnswer.Instance;
    }

    /// <summary>Sends an intermediate state to the mini program's <c>onState</c>, before the final answer.</summary>
    /// <param name="state">The state; copied now, so the caller may change it afterwards.</param>
    public void SendState(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string json = state.ToJsonString();
        lock (this.gate)
        {
            if (!this.answered)
            {
                // Under the lock, so that a state and an answer sent from two threads reach the mini program in the order taken here.
                this.replies.State(json);
                return;
            }
        }

        WxLog.LateStateIgnored(this.logger, this.ApiName);
    }

    /// <summary>Gets the logger the framework reports this call's handler failures to.</summary>
    internal ILogger LoggerForFramework => this.logger;

    /// <summary>Fails the call unless it was answered; used when the handler threw or ended without answering.</summary>
    /// <param name="message">Why.</param>
    /// <param name="errno">The error number.</param>
    /// <returns>True when this was the final answer.</returns>
    internal bool TryFail(string message, int errno) => this.TryAnswer(new JsPluginAnswer(false, null, message, errno, Sync: false), kind: null);

    private bool TryAnswer(JsPluginAnswer answer, string? kind)
    {
        lock (this.gate)
        {
            if (!this.answered)
            {
                this.answered = true;
                this.replies.Final(answer);
                return true;
            }
        }

        if (kind is not null)
        {
            WxLog.LaterAnswerIgnored(this.logger, this.ApiName, kind);
        }

        return false;
    }
}
