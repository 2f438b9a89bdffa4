namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Puts every call a mini process makes to the host's <see cref="MiniAppPolicy"/>, then to the authorizer the host's
/// connection options name, if any: both must allow it.
/// </summary>
/// <remarks>
/// One instance serves every connection of a host: each connection asks about its own bound caller
/// (<see cref="IpcConnection.Remote"/>, the appId and pid the host bound at the handshake), never about a payload's
/// claims. Immutable and allocation-free per call, so safe on every connection's receive path at once.
/// </remarks>
/// <param name="policy">The host's policy.</param>
/// <param name="next">The authorizer of <see cref="MiniAppHostOptions.Connection"/>, asked only when the policy allows; or null.</param>
internal sealed class MiniAppPolicyAuthorizer(MiniAppPolicy policy, IIpcCallAuthorizer? next) : IIpcCallAuthorizer
{
    /// <summary>Gets the authorizer a host's connections use: null when neither the policy nor the options restrict anything.</summary>
    /// <param name="policy">The host's policy.</param>
    /// <param name="configured">The authorizer of the host's connection options, or null.</param>
    /// <returns>The authorizer, or null to let every call through.</returns>
    public static IIpcCallAuthorizer? For(MiniAppPolicy policy, IIpcCallAuthorizer? configured) =>
        policy.IsUnrestricted ? configured : new MiniAppPolicyAuthorizer(policy, configured);

    /// <inheritdoc/>
    public bool IsAllowed(IpcCaller caller, string eventId) =>
        caller.Side == IpcSide.Mini && policy.MayCall(caller.AppId, eventId) && (next?.IsAllowed(caller, eventId) ?? true);
}
