namespace IpcBroker.EndToEnd.Tests;

/// <summary>A callback that counts how often it is called, to prove a call completed exactly once.</summary>
public sealed class CountingCallback : IIpcCallback
{
    private readonly TaskCompletionSource<IpcErrorCode> first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int calls;
    private IpcErrorCode firstCode;

    /// <summary>Gets how many times the outcome was delivered.</summary>
    public int Calls => Volatile.Read(ref this.calls);

    /// <summary>Gets a task that completes with the first outcome's code.</summary>
    public Task<IpcErrorCode> First => this.first.Task;

    /// <summary>Gets the first outcome's code, or null while there is none.</summary>
    public IpcErrorCode? FirstCode => this.first.Task.IsCompleted ? this.firstCode : null;

    /// <inheritdoc/>
    public void Result(bool isSucc, Bundle response)
    {
        var code = isSucc ? IpcErrorCode.None : (IpcErrorCode)response.GetInt(IpcResult.ErrorCodeKey, (int)IpcErrorCode.HandlerFailed);
        if (Interlocked.Increment(ref this.calls) == 1)
        {
            this.firstCode = code;
            this.first.TrySetResult(code);
        }
    }
}
