using System.Security.Cryptography;
using IpcBroker.Sessions;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Where a <c>serve</c> host's control socket lives: <c>control-</c> plus 16 hex characters, a directory of its own (mode
/// 0700) beside the connection file, holding <see cref="SocketFileName"/>. Never the mini processes' pipe directory, and
/// never below a directory a mini process is given.
/// </summary>
/// <remarks>
/// The directory is made before the socket and removed after it, when <c>serve</c> ends. A host that ended without removing
/// it (SIGKILL) left its path in its connection file: the next <c>serve</c> with that file removes it
/// (<see cref="RemoveStale"/>).
/// </remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class ControlSocketLocation
{
    /// <summary>How the control directory's name begins; 16 hex characters follow.</summary>
    public const string DirectoryPrefix = "control-";

    /// <summary>The socket's file name in the control directory.</summary>
    public const string SocketFileName = "control.sock";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates a new control directory beside <paramref name="connectionPath"/> and returns the socket path in it.</summary>
    /// <param name="connectionPath">The connection file's path (its directory is created, 0700, if missing).</param>
    /// <param name="miniDirectories">Directories mini processes are given (the pipe directory, the sandbox root): the control
    /// directory may not be in any of them. Scratch directories (<c>ipcbm-*</c>) are refused by name.</param>
    /// <returns>The socket path; its directory exists, mode 0700.</returns>
    /// <exception cref="CliException">When the directory would be inside a mini process's reach, or the path is too long.</exception>
    public static string Create(string connectionPath, IEnumerable<string> miniDirectories)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(connectionPath))!;
        string directory = Path.Combine(parent, DirectoryPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        foreach (string mini in miniDirectories)
        {
            if (IsWithin(directory, mini))
            {
                throw new CliException($"the connection file's directory '{parent}' is inside '{mini}', which mini processes are given; choose another --connection");
            }
        }

        if (directory.Split(Path.DirectorySeparatorChar).Any(e => e.StartsWith("ipcbm-", StringComparison.Ordinal)))
        {
            throw new CliException($"the connection file's directory '{parent}' is inside a mini process's scratch directory; choose another --connection");
        }

        string socketPath = Path.Combine(directory, SocketFileName);
        try
        {
            PipeLocation.CheckSocketPathLength(socketPath);
        }
        catch (IpcConfigurationException ex)
        {
            throw new CliException($"the control socket path is too long: {ex.Message}");
        }

        Directory.CreateDirectory(parent, Private);
        Directory.CreateDirectory(directory, Private);

        // CreateDirectory applies the umask to the mode; set it again to be sure it is exactly 0700.
        File.SetUnixFileMode(directory, Private);
        return socketPath;
    }

    /// <summary>Removes the socket and its directory, if present.</summary>
    /// <param name="socketPath">A path returned by <see cref="Create"/>.</param>
    public static void Delete(string socketPath)
    {
        try
        {
            File.Delete(socketPath);
            string directory = Path.GetDirectoryName(socketPath)!;
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: false);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Something else put a file there: leave it rather than delete what is not ours.
        }
    }

    /// <summary>
    /// Removes the control directory a dead host named in its connection file, when it is one of ours: directly beside
    /// that file, named <see cref="DirectoryPrefix"/> and 16 hex characters, holding nothing but the socket.
    /// </summary>
    /// <param name="connectionPath">The stale connection file.</param>
    /// <param name="socketPath">The control socket it names.</param>
    public static void RemoveStale(string connectionPath, string socketPath)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(socketPath))!;
        string name = Path.GetFileName(directory);
        bool ours = Path.GetFileName(socketPath) == SocketFileName
            && string.Equals(Path.GetDirectoryName(directory), Path.GetDirectoryName(Path.GetFullPath(connectionPath)), StringComparison.Ordinal)
            && name.Length == DirectoryPrefix.Length + 16
            && name.StartsWith(DirectoryPrefix, StringComparison.Ordinal)
            && name[DirectoryPrefix.Length..].All(char.IsAsciiHexDigitLower);
        if (ours)
        {
            Delete(Path.Combine(directory, SocketFileName));
        }
    }

    private static bool IsWithin(string path, string directory)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        return path.StartsWith(root, StringComparison.Ordinal);
    }
}
