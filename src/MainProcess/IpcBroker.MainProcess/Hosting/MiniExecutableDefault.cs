using System.Reflection;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>Where the host app's build put its mini program executable, as the host package's MSBuild targets record it.</summary>
internal static class MiniExecutableDefault
{
    /// <summary>The metadata key the targets write into the host app's assembly.</summary>
    public const string MetadataKey = "IpcBroker.MiniExecutable";

    /// <summary>The recorded path, made absolute against the host app's directory; empty when the entry assembly records none.</summary>
    /// <returns>The path, or empty.</returns>
    public static string FromEntryAssembly()
    {
        string? relative = Assembly.GetEntryAssembly()?
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == MetadataKey)?.Value;
        return string.IsNullOrEmpty(relative) ? string.Empty : Path.Combine(AppContext.BaseDirectory, relative);
    }
}
