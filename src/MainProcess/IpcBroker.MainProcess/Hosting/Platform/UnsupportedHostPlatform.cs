using System.IO.Pipes;
using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Hosting.Platform;

/// <summary>
/// A system the host has not been ported to: every use fails at once, naming the system and what is missing, instead of
/// every mini program's start timing out later.
/// </summary>
/// <param name="name">The system's name (macOS, Windows, FreeBSD …).</param>
internal sealed class UnsupportedHostPlatform(string name) : IHostPlatform
{
    /// <summary>What the host takes from Linux that no other system has an implementation of yet.</summary>
    public const string MissingPieces =
        "SO_PEERCRED peer credentials (which process connected), the private 0700 socket directory and its sweep through " +
        "/proc/net/unix, and the launcher that hands a mini process its connected socket";

    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public void EnsureSupported() => throw this.NotSupported();

    /// <inheritdoc/>
    public string CreatePrivateSocketPath(string? root) => throw this.NotSupported();

    /// <inheritdoc/>
    public void DeleteSocket(string socketPath) => throw this.NotSupported();

    /// <inheritdoc/>
    public PeerCredentials ReadPeerCredentials(PipeStream pipe) => throw this.NotSupported();

    /// <inheritdoc/>
    public IReadOnlyList<string> RemoveStaleSocketDirectories(string root, DateTime now) => throw this.NotSupported();

    private PlatformNotSupportedException NotSupported() => new(
        $"IpcBroker's host needs Linux: {MissingPieces} are not implemented for {this.Name}. " +
        "A port implements IHostPlatform (src/MainProcess/IpcBroker.MainProcess/Hosting/Platform) and picks it in HostPlatform.For.");
}
