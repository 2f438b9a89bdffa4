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
///   "policy": "policy.json",
///   "packages": ["mini-programs/hello"]
/// }
/// </code>
/// Every member is optional; an option given on the command line overrides the file's. A relative path is relative to
/// the file's directory, so a config file and what it names can move together. An unknown member is an error naming it
/// (a misspelt setting must not be ignored silently), and so is a member given twice. The file must be a regular file of
/// at most <see cref="MaxBytes"/> bytes: a FIFO, a device or a directory is refused before anything is read from it.
/// </remarks>
internal static class ServeConfigFile
{
    /// <summary>The members a config file may hold.</summary>
    public static readonly IReadOnlyList<string> Names = ["mini", "data", "user", "max", "policy", "packages"];

    /// <summary>The largest config file read, in bytes (64 KiB): a few settings need far less.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>Reads and checks the settings in <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The settings it gives; those it does not give are null.</returns>
    /// <exception cref="CliException">When the file cannot be read, is not a small regular file, is not a JSON object, holds an unknown or repeated member or a value of the wrong kind.</exception>
    public static ServeSettings Read(string path)
    {
        JsonElement root;
        try
        {
            byte[] bytes = SmallRegularFile.Read(path, MaxBytes, "the config file");
            using JsonDocument document = JsonDocument.Parse(bytes.AsMemory(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
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

        // JsonDocument keeps every member of a name; TryGetProperty would take one of them silently.
        string? repeated = root.EnumerateObject().GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (repeated is not null)
        {
            throw new CliException($"the config file '{path}' has '{repeated}' more than once");
        }

        string[] unknown = [.. root.EnumerateObject().Select(p => p.Name).Where(n => !Names.Contains(n, StringComparer.Ordinal))];
        if (unknown.Length > 0)
        {
            throw new CliException($"the config file '{path}' has unknown {(unknown.Length == 1 ? "setting" : "settings")} {string.Join(", ", unknown.Select(n => $"'{n}'"))}; it takes {string.Join(", ", Names)}");
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string? PathSetting(string name) => Text(name) switch
        {
            null => null,
            { } text when text.Contains('\0', StringComparison.Ordinal) => throw new CliException($"the config file '{path}': '{name}' is not a valid path: it holds a NUL character"),
            { } text => FullPath(name, text),
        };
        string FullPath(string name, string text)
        {
            try
            {
                return Path.GetFullPath(text, directory);
            }
            catch (Exception ex) when (ex is ArgumentException or PathTooLongException or NotSupportedException)
            {
                throw new CliException($"the config file '{path}': '{name}' is not a valid path: {ex.Message}");
            }
        }

        string? Text(string name) => !root.TryGetProperty(name, out JsonElement value) ? null
            : value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0 ? value.GetString()
            : throw new CliException($"the config file '{path}': '{name}' must be a non-empty string");

        int? max = null;
        if (root.TryGetProperty("max", out JsonElement maxValue))
        {
            max = maxValue.ValueKind == JsonValueKind.Number && maxValue.TryGetInt32(out int n) && n >= 1 ? n
                : throw new CliException($"the config file '{path}': 'max' must be a whole number of at least 1, not {maxValue.GetRawText()}");
        }

        List<string>? packages = null;
        if (root.TryGetProperty("packages", out JsonElement packagesValue))
        {
            if (packagesValue.ValueKind != JsonValueKind.Array || packagesValue.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || e.GetString()!.Length == 0 || e.GetString()!.Contains('\0', StringComparison.Ordinal)))
            {
                throw new CliException($"the config file '{path}': 'packages' must be an array of package directories (non-empty strings)");
            }

            packages = [.. packagesValue.EnumerateArray().Select(e => FullPath("packages", e.GetString()!))];
        }

        return new ServeSettings(PathSetting("mini"), PathSetting("data"), Text("user"), max, PathSetting("policy"), packages);
    }
}
