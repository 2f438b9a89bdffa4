using IpcBroker.MainProcess.OpenApi;

namespace IpcBroker.Testing;

/// <summary>An account proxy a test controls: who is signed in, and their profiles.</summary>
public sealed class FakeAccount : MiniAppProxy
{
    /// <summary>Gets or sets the signed-in user, or null.</summary>
    public string? SignedIn { get; set; }

    /// <summary>Gets the profiles by user id.</summary>
    public Dictionary<string, UserProfile> Profiles { get; } = [];

    /// <inheritdoc/>
    public override string? GetAccount() => this.SignedIn;

    /// <inheritdoc/>
    public override UserProfile? GetUserProfile(string userId) => this.Profiles.GetValueOrDefault(userId);
}
