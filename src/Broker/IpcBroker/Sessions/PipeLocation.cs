using System.Text;

namespace IpcBroker.Sessions;

/// <summary>Where the host's pipe lives, and the checks that keep it private.</summary>
/// <remarks>
/// On Linux a .NET named pipe is a Unix domain socket; a rooted pipe name is used as the socket path as it is. The
/// socket file's mode follows the umask even with <c>PipeOptions.CurrentUserOnly</c>, so the socket goes in a
/// directory of its own, created with mode 0700: nobody else can even reach it.
/// </remarks>
internal static class PipeLocation
{
    /// <summary>The longest socket path Linux accepts, in bytes: <c>sun_path</c> is 108 bytes including the terminating zero.</summary>
    public const int MaxSocketPathBytes = 107;

    /// <summary>How the name of every host's private directory begins; 16 hex characters follow.</summary>
    public const string DirectoryPrefix = "ipcb-";

    /// <summary>The socket's file name inside the private directory.</summary>
    public const string SocketFileName = "host.sock";

    /// <summary>Creates a new private directory (mode 0700) below <paramref name="root"/> and returns the socket path inside it.</summary>
    /// <param name="root">The parent directory; null for the system temp directory.</param>
    /// <returns>The socket path; its directory exists and only the current user can enter it.</returns>
    /// <exception cref="IpcConfigurationException">When the path would be too long for a Unix socket.</exception>
    public static string CreatePrivateSocketPath(string? root = null)
    {
        root ??= Path.GetTempPath();

        // Short and unguessable: 'ipcb-' plus 16 hex characters keeps the path well under the limit under /tmp.
        string directory = Path.Combine(Path.GetFullPath(root), DirectoryPrefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)));
        string socketPath = Path.Combine(directory, SocketFileName);
        CheckSocketPathLength(socketPath);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            // CreateDirectory applies the umask to the mode; set it again to be sure it is exactly 0700.
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return socketPath;
    }

    /// <summary>Checks that <paramref name="socketPath"/> fits in a Unix socket address.</summary>
    /// <param name="socketPath">The path.</param>
    /// <exception cref="IpcConfigurationException">When it does not.</exception>
    public static void CheckSocketPathLength(string socketPath)
    {
        int bytes = Encoding.UTF8.GetByteCount(socketPath);
        if (bytes > MaxSocketPathBytes)
        {
            throw new IpcConfigurationException(
                $"The pipe path '{socketPath}' is {bytes} bytes long; a Unix socket path may be at most {MaxSocketPathBytes} bytes. Choose a shorter runtime directory (MiniAppHostOptions.RuntimeDirectory) or TMPDIR.");
        }
    }

    /// <summary>Removes the socket file and its private directory, if present.</summary>
    /// <param name="socketPath">The path returned by <see cref="CreatePrivateSocketPath"/>.</param>
    public static void Delete(string socketPath)
    {
        try
        {
            File.Delete(socketPath);
            string? directory = Path.GetDirectoryName(socketPath);
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: false);
            }
        }
        catch (IOException)
        {
            // Something else put a file there; leave it rather than delete what is not ours.
        }
    }
}
