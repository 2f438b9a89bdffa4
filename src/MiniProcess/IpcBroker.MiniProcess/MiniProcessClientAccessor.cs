namespace IpcBroker.MiniProcess;

/// <summary>
/// Gives services of a mini program the client once it is connected: <see cref="MiniProcessRuntime"/> registers one per
/// mini program, before the connection exists, and sets it right after connecting.
/// </summary>
public sealed class MiniProcessClientAccessor
{
    private readonly TaskCompletionSource<MiniProcessClient> client = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets the connected client (completes once connected).</summary>
    public Task<MiniProcessClient> Client => this.client.Task;

    /// <summary>Sets the client; later calls are ignored.</summary>
    /// <param name="value">The connected client.</param>
    internal void Set(MiniProcessClient value) => this.client.TrySetResult(value);
}
