using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>
/// The SDK's <c>AsyncResult</c>: how a proxy method in the callback form finishes, with
/// <see cref="OnReceiveResult"/>. Completes exactly once: a second completion is ignored and logged; one that never
/// comes fails the mini program's call at its deadline (the dispatcher's, not this object's).
/// </summary>
public sealed class AsyncResult
{
    private readonly TaskCompletionSource<OpenApiResult> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string api;
    private readonly ILogger logger;

    internal AsyncResult(string api, ILogger logger, CancellationToken cancellationToken)
    {
        this.api = api;
        this.logger = logger;
        this.CancellationToken = cancellationToken;
    }

    /// <summary>Gets a token that fires when the answer is no longer wanted (the call's deadline passed).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Gets the outcome, once given.</summary>
    internal Task<OpenApiResult> Completion => this.completion.Task;

    /// <summary>Finishes the call (the SDK's <c>onReceiveResult(boolean, JSONObject)</c>).</summary>
    /// <param name="success">Whether it succeeded.</param>
    /// <param name="data">The data; on failure <c>{errno, errMsg}</c>. A copy is taken now: what the mini program gets is the data as it is at this moment, as in the SDK.</param>
    /// <returns><see langword="true"/> if this was the answer; <see langword="false"/> if one had been given (then it is logged and ignored).</returns>
    public bool OnReceiveResult(bool success, JsonObject? data)
    {
        if (this.completion.TrySetResult(new OpenApiResult(success, (JsonObject?)data?.DeepClone() ?? [])))
        {
            return true;
        }

        OpenApiLog.SecondResult(this.logger, this.api);
        return false;
    }

    /// <summary>Finishes the call with the outcome of an awaitable implementation.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>A task that never faults.</returns>
    internal async Task CompleteFromAsync(Task<OpenApiResult> outcome)
    {
        OpenApiResult result;
        try
        {
            result = await outcome.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            OpenApiLog.ImplementationThrew(this.logger, ex, this.api);
            result = OpenApiResult.Error(IpcBroker.OpenApi.OpenApiErrno.InternalError, $"wx.{this.api} failed inside the mini process.");
        }
        catch (OperationCanceledException)
        {
            return;
        }

        this.OnReceiveResult(result.Success, result.Data);
    }
}
