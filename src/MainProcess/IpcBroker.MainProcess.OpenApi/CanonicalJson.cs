using System.Text.Json.Nodes;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>JSON with object keys sorted at every level, so that equal parameters give equal text whatever their order.</summary>
internal static class CanonicalJson
{
    public static string Write(JsonNode? node) => Sort(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Sort).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };
}
