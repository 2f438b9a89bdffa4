namespace IpcBroker;

/// <summary>The build of a mini program. Builds of one appId are different mini programs and may run side by side.</summary>
/// <remarks>The numeric values cross the wire; never renumber them.</remarks>
public enum MiniAppVerType
{
    /// <summary>The released build.</summary>
    Release = 0,

    /// <summary>The development build.</summary>
    Develop = 1,

    /// <summary>The preview build.</summary>
    Preview = 2,

    /// <summary>The experience (trial) build.</summary>
    Experience = 3,
}
