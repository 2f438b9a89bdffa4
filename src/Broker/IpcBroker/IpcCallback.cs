namespace IpcBroker;

/// <summary>Makes an <see cref="IIpcCallback"/> from a delegate.</summary>
public sealed class IpcCallback : IIpcCallback
{
    private readonly Action<bool, Bundle> onResult;

    /// <summary>Initializes a new instance of the <see cref="IpcCallback"/> class.</summary>
    /// <param name="onResult">Called with the call's one answer.</param>
    public IpcCallback(Action<bool, Bundle> onResult)
    {
        this.onResult = onResult ?? throw new ArgumentNullException(nameof(onResult));
    }

    /// <inheritdoc/>
    public void Result(bool isSucc, Bundle response) => this.onResult(isSucc, response);
}
