namespace IpcBroker.MainProcess.OpenApi;

/// <summary>What the host knows of a user, for the open APIs that read it.</summary>
/// <param name="NickName">The nickname.</param>
/// <param name="Email">The e-mail address, if known.</param>
/// <param name="PhoneNumber">The phone number, if known.</param>
/// <param name="Avatar">The avatar image, if any; may be large.</param>
/// <param name="AvatarMimeType">The avatar's media type.</param>
public sealed record UserProfile(string NickName, string? Email = null, string? PhoneNumber = null, byte[]? Avatar = null, string AvatarMimeType = "image/png");
