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
        if (string.IsNullOrEmpty(this.AppId) || this.AppId.Length > MaxAppIdLength || this.AppId is "." or ".." ||
            !this.AppId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"'{this.AppId}' is not a valid appId: use 1 to {MaxAppIdLength} ASCII letters, digits, '-', '_' or '.'.", "appId");
        }

        if (!Enum.IsDefined(this.VerType))
        {
            throw new ArgumentException($"{(int)this.VerType} is not a mini program build type.", "verType");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{this.AppId} ({this.VerType})";
}
