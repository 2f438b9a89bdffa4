using System.Text.Json.Serialization;

namespace IpcBroker.Sessions;

/// <summary>Source-generated JSON for <see cref="MiniLaunchInfo"/>: no reflection at start-up.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(MiniLaunchInfo))]
internal sealed partial class LaunchInfoJsonContext : JsonSerializerContext
{
}
