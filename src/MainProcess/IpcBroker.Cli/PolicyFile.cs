using System.Text.Json;
using System.Text.Json.Serialization;
using IpcBroker.MainProcess.Hosting;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// The <c>serve --policy FILE</c> file: a <see cref="MiniAppPolicy"/> in JSON, with the policy's own names.
/// </summary>
/// <remarks>
/// <code>
/// {
///   "startableAppIds": ["wx-shop", "wx-weather"],
///   "eventCallers": { "OPEN_API_PAY*": ["wx-shop"] },
///   "appEvents": { "wx-weather": ["OPEN_API_*", "OPEN_DATA_IPC_EVENT_GET_USER_ID"] }
/// }
/// </code>
/// Every member is optional; an unknown one is an error (a misspelt rule must not be ignored silently).
/// </remarks>
/// <param name="StartableAppIds">As <see cref="MiniAppPolicy.AllowStarting"/>.</param>
/// <param name="EventCallers">Pattern → appIds, as <see cref="MiniAppPolicy.LimitEvent"/>.</param>
/// <param name="AppEvents">AppId → patterns, as <see cref="MiniAppPolicy.LimitApp"/>.</param>
internal sealed record PolicyFile(
    [property: JsonPropertyName("startableAppIds")] string[]? StartableAppIds,
    [property: JsonPropertyName("eventCallers")] Dictionary<string, string[]>? EventCallers,
    [property: JsonPropertyName("appEvents")] Dictionary<string, string[]>? AppEvents)
{
    /// <summary>The largest policy file read (1 MiB).</summary>
    internal const int MaxBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Strict = new() { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    /// <summary>Reads and checks the policy in <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The policy, valid.</returns>
    /// <exception cref="CliException">When the file cannot be read, is not such a JSON object, or the policy is not valid.</exception>
    public static MiniAppPolicy Read(string path)
    {
        PolicyFile file;
        try
        {
            // A small regular file only: a FIFO would hang the start, a device or a huge file fill the memory.
            file = JsonSerializer.Deserialize<PolicyFile>(SmallRegularFile.Read(path, MaxBytes, "the policy file"), Strict) ?? throw new JsonException("the file holds null");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliException($"cannot read the policy file '{path}': {ex.Message}");
        }

        MiniAppPolicy policy = MiniAppPolicy.Unrestricted.AllowStarting(file.StartableAppIds ?? []);
        foreach ((string pattern, string[] appIds) in file.EventCallers ?? [])
        {
            policy = policy.LimitEvent(pattern, appIds ?? []);
        }

        foreach ((string appId, string[] patterns) in file.AppEvents ?? [])
        {
            policy = policy.LimitApp(appId, patterns ?? []);
        }

        try
        {
            policy.Validate();
        }
        catch (IpcConfigurationException ex)
        {
            throw new CliException($"the policy file '{path}' is not valid: {ex.Message}");
        }

        return policy;
    }
}
