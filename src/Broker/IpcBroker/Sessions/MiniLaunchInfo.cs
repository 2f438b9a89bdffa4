using System.Text.Json;
using System.Text.Json.Serialization;

namespace IpcBroker.Sessions;

/// <summary>
/// What the host tells a mini process it starts: one line of JSON on the child's standard input, never on its
/// command line or in its environment (other processes of the user can read both through /proc).
/// </summary>
/// <param name="PipePath">The host's socket path.</param>
/// <param name="Secret">The one-time secret, base64; it proves in the handshake that the peer is the process the host started.</param>
/// <param name="AppId">The mini program.</param>
/// <param name="VerType">Its build.</param>
/// <param name="ProtocolVersion">The protocol version the host speaks.</param>
/// <param name="HostProcessId">The host's process id.</param>
/// <param name="SandboxDirectory">The mini program's private directory for this user (mode 0700), or null when the host keeps none.</param>
/// <param name="SocketFd">
/// The descriptor (3) of a socket the host's launcher has already connected to <paramref name="PipePath"/> and left open in
/// this process, or null when the mini process connects to <paramref name="PipePath"/> itself. A sandboxed mini process may
/// create no socket of its own: this one is its only way to the host, and it serves one connection.
/// </param>
public sealed record MiniLaunchInfo(
    [property: JsonPropertyName("pipe")] string PipePath,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("appId")] string AppId,
    [property: JsonPropertyName("verType")] MiniAppVerType VerType,
    [property: JsonPropertyName("protocol")] int ProtocolVersion,
    [property: JsonPropertyName("hostPid")] int HostProcessId,
    [property: JsonPropertyName("sandbox")] string? SandboxDirectory = null,
    [property: JsonPropertyName("socketFd")] int? SocketFd = null)
{
    /// <summary>The longest launch line accepted, in characters.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Encodes this as one line of JSON.</summary>
    /// <returns>The line, without a line break.</returns>
    public string ToLine() => JsonSerializer.Serialize(this, LaunchInfoJsonContext.Default.MiniLaunchInfo);

    /// <summary>Decodes a launch line.</summary>
    /// <param name="line">The line.</param>
    /// <returns>The launch info.</returns>
    /// <exception cref="FormatException">When the line is empty, too long, not JSON of this shape, or misses a field.</exception>
    public static MiniLaunchInfo Parse(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            throw new FormatException("The launch line is empty: this program is started by the IpcBroker host, which writes its launch line on standard input.");
        }

        if (line.Length > MaxLineLength)
        {
            throw new FormatException($"The launch line is longer than {MaxLineLength} characters.");
        }

        MiniLaunchInfo? info;
        try
        {
            info = JsonSerializer.Deserialize(line, LaunchInfoJsonContext.Default.MiniLaunchInfo);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The launch line is not valid: " + ex.Message, ex);
        }

        if (info is null || string.IsNullOrEmpty(info.PipePath) || string.IsNullOrEmpty(info.Secret) || string.IsNullOrEmpty(info.AppId))
        {
            throw new FormatException("The launch line lacks pipe, secret or appId.");
        }

        if (info.SocketFd is < 0)
        {
            throw new FormatException($"The launch line's socketFd {info.SocketFd} is not a descriptor.");
        }

        return info;
    }

    /// <inheritdoc/>
    public override string ToString() => $"MiniLaunchInfo {{ PipePath = {this.PipePath}, SocketFd = {this.SocketFd}, AppId = {this.AppId}, VerType = {this.VerType}, Secret = (hidden) }}";
}
