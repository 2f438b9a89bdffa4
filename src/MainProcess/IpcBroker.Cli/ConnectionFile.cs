using System.Text.Json;
using System.Text.Json.Serialization;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// Where a running <c>serve</c> host can be reached by the other verbs: its control socket and a token. Written with mode
/// 0600 (only the current user can read the token) and removed when <c>serve</c> ends.
/// </summary>
/// <param name="ControlPath">The control socket.</param>
/// <param name="Token">The token a client presents first.</param>
/// <param name="ProcessId">The serving process.</param>
internal sealed record ConnectionFile(
    [property: JsonPropertyName("control")] string ControlPath,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("pid")] int ProcessId)
{
    /// <summary>Gets the default location: <c>$XDG_RUNTIME_DIR/ipcbroker/serve.json</c>, else <c>~/.ipcbroker/serve.json</c>.</summary>
    public static string DefaultPath
    {
        get
        {
            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            string root = !string.IsNullOrEmpty(runtime) ? Path.Combine(runtime, "ipcbroker") : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ipcbroker");
            return Path.Combine(root, "serve.json");
        }
    }

    public static ConnectionFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"no running host: {path} does not exist (start one with 'serve', or pass --connection FILE)");
        }

        // A small regular file only (64 KiB): a FIFO or a device named by --connection must not hang or fill the client.
        return JsonSerializer.Deserialize<ConnectionFile>(SmallRegularFile.Read(path, 64 * 1024, "the connection file")) ?? throw new CliException($"{path} is not a connection file");
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Write(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        JsonSerializer.Serialize(stream, this);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
