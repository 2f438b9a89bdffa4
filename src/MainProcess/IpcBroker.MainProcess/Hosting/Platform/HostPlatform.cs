using System.Runtime.InteropServices;

namespace IpcBroker.MainProcess.Hosting.Platform;

/// <summary>Picks the <see cref="IHostPlatform"/> of the system the host runs on.</summary>
internal static class HostPlatform
{
    /// <summary>
    /// A platform a test poses as, for its own flow of execution only (tests run in parallel in one process): what
    /// <see cref="Current"/> returns inside <see cref="PoseAs"/>.
    /// </summary>
    private static readonly AsyncLocal<IHostPlatform?> Posed = new();

    /// <summary>Gets the platform of the running system, or the one a test poses as.</summary>
    public static IHostPlatform Current => Posed.Value ?? Running;

    private static IHostPlatform Running { get; } = For(
        OperatingSystem.IsLinux() ? OSPlatform.Linux
        : OperatingSystem.IsMacOS() ? OSPlatform.OSX
        : OperatingSystem.IsWindows() ? OSPlatform.Windows
        : OSPlatform.Create(RuntimeInformation.OSDescription));

    /// <summary>Gets the implementation for <paramref name="system"/>: Linux's, or one that fails naming what is missing.</summary>
    /// <param name="system">The operating system.</param>
    /// <returns>The platform.</returns>
    public static IHostPlatform For(OSPlatform system) =>
        system == OSPlatform.Linux ? LinuxHostPlatform.Instance
        : new UnsupportedHostPlatform(system == OSPlatform.OSX ? "macOS" : system == OSPlatform.Windows ? "Windows" : system.ToString());

    /// <summary>
    /// Makes <see cref="Current"/> return <paramref name="platform"/> in the calling flow of execution (and what it starts)
    /// until the result is disposed: a test's way to pose as another system.
    /// </summary>
    /// <param name="platform">The platform to pose as.</param>
    /// <returns>Ends the pose.</returns>
    public static IDisposable PoseAs(IHostPlatform platform)
    {
        IHostPlatform? before = Posed.Value;
        Posed.Value = platform;
        return new Pose(before);
    }

    private sealed class Pose(IHostPlatform? before) : IDisposable
    {
        public void Dispose() => Posed.Value = before;
    }
}
