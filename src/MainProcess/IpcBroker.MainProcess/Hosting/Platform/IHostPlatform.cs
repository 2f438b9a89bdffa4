using System.IO.Pipes;
using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Hosting.Platform;

/// <summary>
/// What the host needs of its operating system, in one place: a private place for its socket, the kernel's word on who
/// connected to it, and the sweep of what dead hosts left behind. Linux has one (<see cref="LinuxHostPlatform"/>); a port
/// to another system is a new implementation of this interface, chosen in <see cref="HostPlatform.For"/>.
/// </summary>
/// <remarks>
/// The mini process sandbox (Landlock, seccomp, cgroups, the launcher) probes for itself (<c>MiniProcessProtections</c>)
/// and degrades where a piece is missing; what is here has no degraded form: without it the host cannot tell its own mini
/// processes from impostors, so the host does not start at all.
/// </remarks>
internal interface IHostPlatform
{
    /// <summary>Gets the name of the operating system, as a message to a user names it.</summary>
    string Name { get; }

    /// <summary>Throws when this platform cannot run a host; called first thing in the host's start.</summary>
    /// <exception cref="PlatformNotSupportedException">Naming the operating system and what is missing.</exception>
    void EnsureSupported();

    /// <summary>Creates a private directory (only this user may enter it) below <paramref name="root"/> and returns the socket path inside it.</summary>
    /// <param name="root">The parent directory; null for the system's temporary directory.</param>
    /// <returns>The socket path.</returns>
    string CreatePrivateSocketPath(string? root);

    /// <summary>Removes the socket and its private directory, if present.</summary>
    /// <param name="socketPath">A path from <see cref="CreatePrivateSocketPath"/>.</param>
    void DeleteSocket(string socketPath);

    /// <summary>Reads the process id, user id and group id of the peer of a connected pipe, as the kernel reports them.</summary>
    /// <param name="pipe">A connected pipe.</param>
    /// <returns>The credentials.</returns>
    PeerCredentials ReadPeerCredentials(PipeStream pipe);

    /// <summary>Removes the private socket directories that hosts which died left below <paramref name="root"/>.</summary>
    /// <param name="root">The runtime directory hosts make their socket directories in.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The directories removed.</returns>
    IReadOnlyList<string> RemoveStaleSocketDirectories(string root, DateTime now);
}
