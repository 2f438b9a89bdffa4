namespace IpcBroker.MiniLauncher;

/// <summary>
/// The launcher's messages on stderr, each line prefixed <c>ipcbroker-launcher: </c>, written with write(2) rather than
/// <see cref="Console"/>: after Landlock the runtime's own files may be out of reach (a node mini is not granted the
/// dotnet root), and Console loads assemblies on first use.
/// </summary>
internal static unsafe class LauncherDiagnostics
{
    private const int StandardError = 2;

    /// <summary>Writes one line to stderr; a failed write is ignored (there is nowhere else to report it).</summary>
    /// <param name="message">The message, without the prefix.</param>
    public static void Report(string message)
    {
        byte[] line = System.Text.Encoding.UTF8.GetBytes("ipcbroker-launcher: " + message + "\n");
        fixed (byte* bytes = line)
        {
            nuint written = 0;
            while (written < (nuint)line.Length)
            {
                nint count = Libc.Write(StandardError, bytes + written, (nuint)line.Length - written);
                if (count <= 0)
                {
                    return;
                }

                written += (nuint)count;
            }
        }
    }
}
