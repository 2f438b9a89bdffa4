namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>The mini program an open API call runs for (the SDK's <c>IMiniAppContext</c>), and its way to the main process.</summary>
/// <param name="AppId">The mini program.</param>
/// <param name="VerType">Its build.</param>
/// <param name="SandboxDirectory">Its private directory for the signed-in user, or null.</param>
/// <param name="Main">Calls the main process.</param>
public sealed record MiniAppContext(string AppId, MiniAppVerType VerType, string? SandboxDirectory, IMainProcessCaller Main)
{
    /// <summary>Makes the context of the mini program a client serves.</summary>
    /// <param name="client">The connected client.</param>
    /// <returns>The context.</returns>
    public static MiniAppContext Of(MiniProcessClient client) => new(client.AppId, client.VerType, client.SandboxDirectory, client);
}
