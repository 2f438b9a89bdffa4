namespace IpcBroker.MainProcess.Cli;

/// <summary>A registered event as <c>events</c> lists it, with who may call it under the host's policy.</summary>
/// <param name="Event">The event name.</param>
/// <param name="Side">Where it is handled (<c>main</c>).</param>
/// <param name="Description">Its description, if registered with one.</param>
/// <param name="Source">The handler that answers it.</param>
/// <param name="AllowedAppIds">The appIds that may call it, sorted; null when any appId may, but those in <paramref name="DeniedAppIds"/>.</param>
/// <param name="DeniedAppIds">The appIds the policy names that may not call it, sorted; empty without a policy.</param>
public sealed record EventDto(string Event, string Side, string? Description, string Source, string[]? AllowedAppIds, string[] DeniedAppIds);
