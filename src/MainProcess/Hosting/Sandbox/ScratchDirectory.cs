using System.Security.Cryptography;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// A mini process's private scratch directory, <c>&lt;temp&gt;/ipcbm-&lt;16 hex&gt;</c> (mode 0700): its <c>TMPDIR</c>,
/// and its <c>HOME</c> and working directory when the host keeps no sandboxes. Made before the process starts, removed
/// with everything in it once the process has exited.
/// </summary>
internal static class ScratchDirectory
{
    /// <summary>How every scratch directory's name begins; 16 hex characters follow.</summary>
    public const string Prefix = "ipcbm-";

    /// <summary>Creates a new scratch directory below the system temp directory.</summary>
    /// <returns>Its full path.</returns>
    /// <exception cref="IOException">When it cannot be made.</exception>
    public static string Create()
    {
        string path = Path.Combine(Path.GetTempPath(), Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(path, Private);

            // CreateDirectory applies the umask; set the mode again to be sure it is exactly 0700.
            File.SetUnixFileMode(path, Private);
        }

        return path;
    }

    /// <summary>How long a removal may hold up the process's exit path; the rest goes on in the background.</summary>
    public static readonly TimeSpan RemovalBudget = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Removes a scratch directory and everything in it, never following a symbolic link in it — also not one a descendant
    /// of the process swaps in meanwhile (<see cref="NoFollowDirectoryRemoval"/>).
    /// </summary>
    /// <param name="path">A path <see cref="Create"/> returned.</param>
    /// <param name="deadline">When to stop and leave the rest; null for no deadline.</param>
    /// <returns>Null when it is gone, else why it could not be removed (a descendant of the process may still write in it).</returns>
    public static string? TryRemove(string path, DateTime? deadline = null)
    {
        if (OperatingSystem.IsLinux())
        {
            return NoFollowDirectoryRemoval.Remove(path, deadline ?? DateTime.MaxValue);
        }

        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }
}
