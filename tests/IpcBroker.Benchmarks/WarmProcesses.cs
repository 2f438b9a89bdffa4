using System.Reflection;
using IpcBroker.MainProcess.Hosting;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The host's warm processes (issue 11, "spares"), found by reflection until they land: the contract names
/// <c>MiniAppHostOptions.SpareProcesses</c> and <c>MiniAppHost.WhenSparesReadyAsync</c>. The merger replaces this type
/// with direct calls.
/// </summary>
internal static class WarmProcesses
{
    private static readonly PropertyInfo? SpareProcesses = typeof(MiniAppHostOptions).GetProperty("SpareProcesses");

    private static readonly MethodInfo? WhenSparesReady = typeof(MiniAppHost).GetMethod("WhenSparesReadyAsync", [typeof(CancellationToken)]);

    /// <summary>Gets whether this build of the host has warm processes.</summary>
    public static bool Available => SpareProcesses is not null && WhenSparesReady is not null;

    /// <summary>Sets how many warm processes the host keeps, when it can.</summary>
    public static MiniAppHostOptions WithSpares(this MiniAppHostOptions options, int spares)
    {
        SpareProcesses?.SetValue(options, spares);
        return options;
    }

    /// <summary>Gets how many warm processes the options ask for (0 when the host has none).</summary>
    public static int GetSpares(this MiniAppHostOptions options) => SpareProcesses?.GetValue(options) is int spares ? spares : 0;

    /// <summary>Waits until the host's spares are ready (at once when it has none).</summary>
    public static Task WhenReadyAsync(MiniAppHost host, CancellationToken cancellationToken) =>
        WhenSparesReady is null ? Task.CompletedTask : (Task)WhenSparesReady.Invoke(host, [cancellationToken])!;
}
