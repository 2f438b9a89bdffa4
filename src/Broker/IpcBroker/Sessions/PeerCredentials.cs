using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace IpcBroker.Sessions;

/// <summary>The process id, user id and group id of the process on the other end of a connected pipe, as the kernel reports them.</summary>
/// <param name="ProcessId">The peer's process id when it connected.</param>
/// <param name="UserId">The peer's user id.</param>
/// <param name="GroupId">The peer's group id.</param>
internal sealed record PeerCredentials(int ProcessId, uint UserId, uint GroupId)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>Reads the credentials of the peer of a connected pipe (Linux: <c>SO_PEERCRED</c>).</summary>
    /// <param name="pipe">A connected pipe.</param>
    /// <returns>The credentials.</returns>
    /// <exception cref="PlatformNotSupportedException">On systems other than Linux.</exception>
    /// <exception cref="IOException">When the kernel refuses.</exception>
    /// <remarks>A pid can be reused after its process ends; the caller must tie it to a process it started and is still watching.</remarks>
    public static PeerCredentials Of(PipeStream pipe)
    {
        ArgumentNullException.ThrowIfNull(pipe);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Peer credentials are read with SO_PEERCRED, which only Linux has.");
        }

        // On Unix, a named pipe's handle wraps the socket's file descriptor.
        bool added = false;
        pipe.SafePipeHandle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
            uint length = (uint)Marshal.SizeOf<UCred>();
            if (GetSockOpt(fd, SolSocket, SoPeerCred, out UCred credentials, ref length) != 0)
            {
                throw new IOException($"getsockopt(SO_PEERCRED) failed with errno {Marshal.GetLastPInvokeError()}.");
            }

            return new PeerCredentials(credentials.Pid, credentials.Uid, credentials.Gid);
        }
        finally
        {
            if (added)
            {
                pipe.SafePipeHandle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static extern int GetSockOpt(int socket, int level, int optionName, out UCred optionValue, ref uint optionLength);

    [StructLayout(LayoutKind.Sequential)]
    private struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }
}
