namespace IpcBroker.MainProcess.Hosting;

/// <summary>Where a mini program is in its life.</summary>
public enum MiniAppState
{
    /// <summary>Its process is starting, or connecting for it.</summary>
    Starting,

    /// <summary>Connected and serving calls.</summary>
    Running,

    /// <summary>Being stopped: its calls are failing, its process exiting or being handed to another mini program.</summary>
    Stopping,
}
