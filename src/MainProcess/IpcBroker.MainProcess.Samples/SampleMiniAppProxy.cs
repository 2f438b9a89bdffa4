namespace IpcBroker.MainProcess.OpenApi;

/// <summary>A sample account proxy: the signed-in user comes from a delegate (the host's sign-in state), profiles from a table.</summary>
/// <param name="currentUser">Gives the signed-in user, or null.</param>
/// <param name="profiles">The users' profiles.</param>
public sealed class SampleMiniAppProxy(Func<string?> currentUser, IReadOnlyDictionary<string, UserProfile> profiles) : MiniAppProxy
{
    /// <inheritdoc/>
    public override string? GetAccount() => currentUser();

    /// <inheritdoc/>
    public override UserProfile? GetUserProfile(string userId) => profiles.GetValueOrDefault(userId);
}
