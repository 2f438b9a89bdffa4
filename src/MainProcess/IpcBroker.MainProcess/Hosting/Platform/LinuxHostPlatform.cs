using System.IO.Pipes;
using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Hosting.Platform;

/// <summary>
/// The host on Linux: the socket in a 0700 directory of its own (<see cref="PipeLocation"/>), peers identified with
/// <c>SO_PEERCRED</c> (<see cref="PeerCredentials.Of"/>), dead hosts' directories found through <c>/proc/net/unix</c>
/// (<see cref="StalePipeDirectories"/>).
/// </summary>
internal sealed class LinuxHostPlatform : IHostPlatform
{
    /// <summary>The one instance: it holds no state.</summary>
    public static readonly LinuxHostPlatform Instance = new();

    private LinuxHostPlatform()
    {
    }

    /// <inheritdoc/>
    public string Name => "Linux";

    /// <inheritdoc/>
    public void EnsureSupported()
    {
    }

    /// <inheritdoc/>
    public string CreatePrivateSocketPath(string? root) => PipeLocation.CreatePrivateSocketPath(root);

    /// <inheritdoc/>
    public void DeleteSocket(string socketPath) => PipeLocation.Delete(socketPath);

    /// <inheritdoc/>
    public PeerCredentials ReadPeerCredentials(PipeStream pipe) => PeerCredentials.Of(pipe);

    /// <inheritdoc/>
    public IReadOnlyList<string> RemoveStaleSocketDirectories(string root, DateTime now) => StalePipeDirectories.Remove(root, now);
}
