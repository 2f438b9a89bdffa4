using System.Text.Json;
using System.Text.Json.Nodes;

namespace IpcBroker;

/// <summary>
/// Converts between <see cref="Bundle"/> and System.Text.Json's <see cref="JsonObject"/>, for the open-API layer
/// whose parameters and results are JSON.
/// </summary>
/// <remarks>
/// JSON cannot say every kind a bundle can, so the mapping is fixed and lossy in known ways:
/// <list type="bullet">
/// <item>To JSON: numbers stay numbers, byte arrays become base64 strings, bundles objects, arrays arrays.</item>
/// <item>From JSON: an integer that fits in 32 bits becomes <see cref="BundleValueKind.Int"/>, a larger one
/// <see cref="BundleValueKind.Long"/>, any other number <see cref="BundleValueKind.Double"/>; an array takes the
/// narrowest kind all its elements fit (string, int, long, double, object); an empty array becomes an empty
/// <see cref="BundleValueKind.StringArray"/>. An array mixing kinds (say strings and numbers), an array of arrays,
/// or a null inside a number or object array is refused with <see cref="FormatException"/> naming the path.</item>
/// </list>
/// </remarks>
public static class BundleJson
{
    /// <summary>Converts a bundle to a new <see cref="JsonObject"/>.</summary>
    /// <param name="bundle">The bundle.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject ToJsonObject(this Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var json = new JsonObject();
        foreach (KeyValuePair<string, object?> entry in bundle.Entries())
        {
            json[entry.Key] = ToNode(entry.Value);
        }

        return json;
    }

    /// <summary>Converts a <see cref="JsonObject"/> to a new bundle.</summary>
    /// <param name="json">The JSON object.</param>
    /// <returns>The bundle.</returns>
    /// <exception cref="FormatException">When a value has no bundle kind (see remarks on <see cref="BundleJson"/>).</exception>
    public static Bundle ToBundle(this JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromObject(json, "$");
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        string?[] strings => new JsonArray(strings.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        int[] ints => new JsonArray(ints.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
        long[] longs => new JsonArray(longs.Select(l => (JsonNode?)JsonValue.Create(l)).ToArray()),
        double[] doubles => new JsonArray(doubles.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
        Bundle nested => nested.ToJsonObject(),
        IReadOnlyList<Bundle> list => new JsonArray(list.Select(b => (JsonNode?)b.ToJsonObject()).ToArray()),
        _ => throw new InvalidOperationException("Unsupported bundle value: " + value.GetType().Name),
    };

    private static Bundle FromObject(JsonObject json, string path)
    {
        var bundle = new Bundle(json.Count);
        foreach (KeyValuePair<string, JsonNode?> property in json)
        {
            bundle.SetRaw(property.Key, FromNode(property.Value, path + "." + property.Key));
        }

        return bundle;
    }

    private static object? FromNode(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                return FromObject(obj, path);
            case JsonArray array:
                return FromArray(array, path);
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => FromNumber(value),
                    _ => throw new FormatException($"{path}: unsupported JSON value."),
                };
            default:
                throw new FormatException($"{path}: unsupported JSON node.");
        }
    }

    private static object FromNumber(JsonValue value)
    {
        // A parsed document holds JsonElements; a node built in code holds the CLR value it was built from.
        // Going through the JSON text handles both the same way, and the text is what the caller meant.
        JsonElement element = value.TryGetValue(out JsonElement e) ? e : JsonDocument.Parse(value.ToJsonString()).RootElement;
        if (element.TryGetInt32(out int i))
        {
            return i;
        }

        if (element.TryGetInt64(out long l))
        {
            return l;
        }

        return element.GetDouble();
    }

    private static object FromArray(JsonArray array, string path)
    {
        if (array.Count == 0)
        {
            return Array.Empty<string>();
        }

        // Find the narrowest kind every element fits.
        bool anyString = false, anyObject = false, anyNull = false, anyLong = false, anyDouble = false;
        var numbers = new object?[array.Count];
        for (int index = 0; index < array.Count; index++)
        {
            switch (array[index])
            {
                case null: anyNull = true; break;
                case JsonObject: anyObject = true; break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String: anyString = true; break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    numbers[index] = FromNumber(v);
                    anyLong |= numbers[index] is long;
                    anyDouble |= numbers[index] is double;
                    break;
                default:
                    throw new FormatException($"{path}[{index}]: arrays may hold strings, numbers or objects only.");
            }
        }

        bool anyNumber = numbers.Any(n => n is not null);
        int kinds = (anyString ? 1 : 0) + (anyNumber ? 1 : 0) + (anyObject ? 1 : 0);
        if (kinds > 1)
        {
            throw new FormatException($"{path}: an array must not mix strings, numbers and objects.");
        }

        if (anyString || kinds == 0)
        {
            return array.Select(n => n?.GetValue<string>()).ToArray();
        }

        if (anyNull)
        {
            throw new FormatException($"{path}: only string arrays may hold null.");
        }

        if (anyObject)
        {
            return (IReadOnlyList<Bundle>)array.Select((n, i) => FromObject((JsonObject)n!, $"{path}[{i}]")).ToArray();
        }

        if (anyDouble)
        {
            return numbers.Select(Convert.ToDouble).ToArray();
        }

        return anyLong
            ? numbers.Select(Convert.ToInt64).ToArray()
            : numbers.Select(n => (int)n!).ToArray();
    }
}
