namespace IpcBroker.MainProcess.Hosting;

/// <summary>Identifies one mini program: an appId and a build. Two builds of one appId are two mini programs.</summary>
/// <param name="AppId">The appId.</param>
/// <param name="VerType">The build.</param>
public readonly record struct MiniAppKey(string AppId, MiniAppVerType VerType)
{
    /// <summary>The longest appId accepted.</summary>
    public const int MaxAppIdLength = 128;

    /// <summary>Checks that the appId is usable as a name in logs and file paths.</summary>
    /// <exception cref="ArgumentException">When it is empty, longer than <see cref="MaxAppIdLength"/>, or holds anything but letters, digits, '-', '_' and '.'.</exception>
    public void Validate()
    {
        if (!IsValidAppId(this.AppId))
        {
            throw new ArgumentException($"'{this.AppId}' is not a valid appId: use 1 to {MaxAppIdLength} ASCII letters, digits, '-', '_' or '.'.", "appId");
        }

        if (!Enum.IsDefined(this.VerType))
        {
            throw new ArgumentException($"{(int)this.VerType} is not a mini program build type.", "verType");
        }
    }

    /// <summary>Tells whether <paramref name="appId"/> is usable as a name in logs and file paths (see <see cref="Validate"/>).</summary>
    /// <param name="appId">The appId.</param>
    /// <returns><see langword="true"/> for 1 to <see cref="MaxAppIdLength"/> ASCII letters, digits, '-', '_' or '.', other than "." and "..".</returns>
    internal static bool IsValidAppId(string? appId) =>
        !string.IsNullOrEmpty(appId) && appId.Length <= MaxAppIdLength && appId is not ("." or "..") &&
        appId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <inheritdoc/>
    public override string ToString() => $"{this.AppId} ({this.VerType})";
}
