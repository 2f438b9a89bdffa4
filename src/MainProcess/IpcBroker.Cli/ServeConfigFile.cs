using System.Text.Json;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// The <c>serve --config FILE</c> file: <c>serve</c>'s settings in JSON, under the options' names.
/// </summary>
/// <remarks>
/// <code>
/// {
///   "mini": "bin/MyMini.dll",
///   "data": "/var/lib/myhost",
///   "user": "u-42",
///   "max": 3,
///   "policy": "policy.json"
/// }
/// </code>
/// Every member is optional; an option given on the command line overrides the file's. A relative path is relative to
/// the file's directory, so a config file and what it names can move together. An unknown member is an error naming it
/// (a misspelt setting must not be ignored silently).
/// </remarks>
internal static class ServeConfigFile
{
    /// <summary>The members a config file may hold.</summary>
    public static readonly IReadOnlyList<string> Names = ["mini", "data", "user", "max", "policy"];

    /// <summary>Reads and checks the settings in <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The settings it gives; those it does not give are null.</returns>
    /// <exception cref="CliException">When the file cannot be read, is not a JSON object, holds an unknown member or a value of the wrong kind.</exception>
    public static ServeSettings Read(string path)
    {
        JsonElement root;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            root = document.RootElement.Clone();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliException($"cannot read the config file '{path}': {ex.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CliException($"the config file '{path}' is not a JSON object");
        }

        string[] unknown = [.. root.EnumerateObject().Select(p => p.Name).Where(n => !Names.Contains(n, StringComparer.Ordinal))];
        if (unknown.Length > 0)
        {
            throw new CliException($"the config file '{path}' has unknown {(unknown.Length == 1 ? "setting" : "settings")} {string.Join(", ", unknown.Select(n => $"'{n}'"))}; it takes {string.Join(", ", Names)}");
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? PathSetting(string name) => Text(name) is { } text ? Path.GetFullPath(text, directory) : null;
        string? Text(string name) => !root.TryGetProperty(name, out JsonElement value) ? null
            : value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0 ? value.GetString()
            : throw new CliException($"the config file '{path}': '{name}' must be a non-empty string");

        int? max = null;
        if (root.TryGetProperty("max", out JsonElement maxValue))
        {
            max = maxValue.ValueKind == JsonValueKind.Number && maxValue.TryGetInt32(out int n) && n >= 1 ? n
                : throw new CliException($"the config file '{path}': 'max' must be a whole number of at least 1, not {maxValue.GetRawText()}");
        }

        return new ServeSettings(PathSetting("mini"), PathSetting("data"), Text("user"), max, PathSetting("policy"));
    }
}
