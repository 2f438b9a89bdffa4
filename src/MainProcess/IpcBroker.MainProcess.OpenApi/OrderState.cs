namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// Where an order is: <see cref="Pending"/>, then <see cref="Charging"/> once one request has claimed it, then, only by the
/// payment provider's answer, <see cref="Paid"/> or <see cref="Failed"/>.
/// </summary>
public enum OrderState
{
    /// <summary>Written; no request has claimed it yet (or the provider failed to answer and the claim was let go).</summary>
    Pending,

    /// <summary>The provider charged it.</summary>
    Paid,

    /// <summary>The provider declined or failed it.</summary>
    Failed,

    /// <summary>
    /// Claimed by one request of the process that holds the store, which is asking the provider; no answer yet. A mini
    /// program sees it as <see cref="Pending"/>. Left behind by a host that died, it is claimed again after the restart.
    /// </summary>
    Charging,
}
