using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>The outcome of one open API call: success with data, or <c>{errno, errMsg}</c>.</summary>
/// <param name="Success">Whether it succeeded.</param>
/// <param name="Data">The data, or <c>{errno, errMsg}</c> on failure.</param>
public sealed record OpenApiResult(bool Success, JsonObject Data)
{
    /// <summary>A success.</summary>
    /// <param name="data">The data.</param>
    /// <returns>The result.</returns>
    public static OpenApiResult Ok(JsonObject? data = null) => new(true, data ?? []);

    /// <summary>A failure.</summary>
    /// <param name="errno">An <see cref="OpenApiErrno"/> value.</param>
    /// <param name="message">Why.</param>
    /// <returns>The result.</returns>
    public static OpenApiResult Error(int errno, string message) => new(false, new JsonObject { [OpenApiErrno.Key] = errno, [OpenApiErrno.MessageKey] = message });

    /// <summary>Gets the errno of a failure, or 0.</summary>
    public int Errno => this.Success ? 0 : this.Data[OpenApiErrno.Key]?.GetValue<int>() ?? OpenApiErrno.InternalError;

    /// <summary>
    /// The JSON a mini program runtime receives is handed to a JavaScript engine, never embedded in HTML, so characters
    /// such as '+' and quotes are written as they are rather than as \u escapes.
    /// </summary>
    private static readonly JsonSerializerOptions RuntimeJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Gets the result as the JSON a mini program runtime receives: <c>{"success": bool, "data": {...}}</c>.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => new JsonObject { ["success"] = this.Success, ["data"] = this.Data.DeepClone() }.ToJsonString(RuntimeJson);
}
