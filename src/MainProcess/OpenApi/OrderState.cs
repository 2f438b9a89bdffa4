namespace IpcBroker.MainProcess.OpenApi;

/// <summary>Where an order is. Only the payment provider's answer moves it out of <see cref="Pending"/>.</summary>
public enum OrderState
{
    /// <summary>Written, and the provider asked (or about to be); no answer yet.</summary>
    Pending,

    /// <summary>The provider charged it.</summary>
    Paid,

    /// <summary>The provider declined or failed it.</summary>
    Failed,
}
