namespace IpcBroker.Diagnostics;

/// <summary>Told of every call a connection completes, both ways; for test kits and monitors.</summary>
/// <remarks>Called on the thread that completed the call, possibly concurrently; must be quick and must not throw (an exception is swallowed).</remarks>
public interface IIpcCallObserver
{
    /// <summary>A call completed.</summary>
    /// <param name="record">What happened.</param>
    void OnCallCompleted(IpcCallRecord record);
}
