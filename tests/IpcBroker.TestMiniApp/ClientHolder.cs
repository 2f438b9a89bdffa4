using IpcBroker.MiniProcess;

namespace IpcBroker.TestMiniApp;

/// <summary>Hands the connected client to the plugin, which is created before the connection exists.</summary>
public sealed class ClientHolder
{
    private readonly TaskCompletionSource<MiniProcessClient> client = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<MiniProcessClient> Client => this.client.Task;

    public void Set(MiniProcessClient value) => this.client.TrySetResult(value);
}
