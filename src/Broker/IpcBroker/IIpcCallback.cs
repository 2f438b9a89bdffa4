namespace IpcBroker;

/// <summary>The SDK's callback form of a call's answer (<c>IpcCallback.result(boolean isSucc, Bundle response)</c>).</summary>
/// <remarks>
/// Called exactly once per call, on a thread-pool thread, never inline on the caller's thread. On failure the bundle
/// holds <see cref="IpcResult.ErrorCodeKey"/> and <see cref="IpcResult.ErrorMessageKey"/>. An exception thrown from
/// <see cref="Result"/> is logged and otherwise ignored.
/// </remarks>
public interface IIpcCallback
{
    /// <summary>Receives the call's one answer.</summary>
    /// <param name="isSucc">Whether the call succeeded.</param>
    /// <param name="response">The response, or the failure's detail.</param>
    void Result(bool isSucc, Bundle response);
}
