namespace IpcBroker;

/// <summary>Which side of the boundary a party runs on.</summary>
public enum IpcSide
{
    /// <summary>The host app's main process.</summary>
    Main,

    /// <summary>A mini program process.</summary>
    Mini,
}
