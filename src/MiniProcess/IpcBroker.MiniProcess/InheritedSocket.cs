using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace IpcBroker.MiniProcess;

/// <summary>
/// The socket a sandboxed mini process inherits already connected to its host (the launch line's <c>socketFd</c>, fd 3):
/// the host's launcher connects it before the mini program's own code runs, because the sandbox then refuses
/// <c>socket()</c> to everything in the process.
/// </summary>
/// <remarks>
/// A descriptor is taken once per process: the stream returned owns it and closes it when disposed, after which the
/// number may name some other file the process opens, so a second launch line naming it again is refused rather than
/// trusted.
/// </remarks>
internal static class InheritedSocket
{
    private const int FSetFd = 2;
    private const int FdCloExec = 1;

    private static readonly HashSet<int> Taken = [];

    /// <summary>Wraps the connected socket at <paramref name="fd"/> in a stream that owns it.</summary>
    /// <param name="fd">The descriptor the launch line names.</param>
    /// <returns>The stream to the host; disposing it closes the descriptor.</returns>
    /// <exception cref="IOException">When the descriptor was taken before, or is not a connected socket.</exception>
    public static Stream Take(int fd)
    {
        lock (Taken)
        {
            if (!Taken.Add(fd))
            {
                throw new IOException($"The inherited socket (descriptor {fd}) was used already: it carries one connection, and this process serves one mini program.");
            }
        }

        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        Socket socket;
        try
        {
            socket = new Socket(handle);
        }
        catch (SocketException ex)
        {
            handle.Dispose();
            throw new IOException($"Descriptor {fd} is not a socket connected to the host: {ex.Message}", ex);
        }

        try
        {
            // Wrapping a descriptor checks little (a file passes): the launcher connects a Unix stream socket, nothing else.
            if (socket.AddressFamily != AddressFamily.Unix || !socket.Connected)
            {
                throw new IOException($"Descriptor {fd} is not a socket connected to the host (address family {socket.AddressFamily}, connected: {socket.Connected}).");
            }

            // The launcher left it inheritable so that it survived its execve; a child this process starts must not get it.
            if (OperatingSystem.IsLinux() && Fcntl(fd, FSetFd, FdCloExec) != 0)
            {
                throw new IOException($"fcntl(FD_CLOEXEC) on descriptor {fd} failed with errno {Marshal.GetLastPInvokeError()}.");
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception ex)
        {
            socket.Dispose();
            throw ex as IOException ?? new IOException($"Descriptor {fd} is not a socket connected to the host: {ex.Message}", ex);
        }
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);
}
