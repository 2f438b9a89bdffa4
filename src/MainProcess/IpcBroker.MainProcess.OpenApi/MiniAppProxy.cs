namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// What the host app tells the open APIs about its user (the SDK's <c>MiniAppProxy</c>): who is signed in, and their
/// profile. Implemented by the host app; called from main-process plugins, possibly concurrently.
/// </summary>
public abstract class MiniAppProxy
{
    /// <summary>Gets the signed-in user's id (the SDK's <c>getAccount()</c>), or null when nobody is signed in.</summary>
    /// <returns>The user id.</returns>
    public abstract string? GetAccount();

    /// <summary>Gets a user's profile, or null when the host has none.</summary>
    /// <param name="userId">The user.</param>
    /// <returns>The profile.</returns>
    public virtual UserProfile? GetUserProfile(string userId) => null;
}
