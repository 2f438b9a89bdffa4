namespace IpcBroker.MiniProcess.Samples;

/// <summary>What the sample mini program learned at launch: the outcome of its first call to the main process, and how long it took.</summary>
public sealed class LaunchState
{
    private readonly TaskCompletionSource<(IpcResult Result, TimeSpan Elapsed)> userCall = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the outcome of the launch call, once made.</summary>
    public Task<(IpcResult Result, TimeSpan Elapsed)> UserCall => this.userCall.Task;

    /// <summary>Records the outcome of the launch call.</summary>
    /// <param name="result">The outcome.</param>
    /// <param name="elapsed">How long it took.</param>
    public void SetUserCall(IpcResult result, TimeSpan elapsed) => this.userCall.TrySetResult((result, elapsed));
}
