namespace IpcBroker.MainProcess.Hosting;

/// <summary>Identifies one mini program: an appId and a build. Two builds of one appId are two mini programs.</summary>
/// <param name="AppId">The appId.</param>
/// <param name="VerType">The build.</param>
public readonly record struct MiniAppKey(string AppId, MiniAppVerType VerType)
{
    /// <inheritdoc/>
    public override string ToString() => $"{this.AppId} ({this.VerType})";
}
