using IpcBroker.MiniProcess.OpenApi;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// The proxy used when the mini executable registers no <see cref="MiniOpenApiProxy"/>: the six APIs with a default
/// implementation (login, checkSession, getPhoneNumber, getEmail, chooseAvatar, getNickName) work through the main
/// process, the others answer NotImplemented.
/// </summary>
internal sealed class DefaultMiniOpenApiProxy : MiniOpenApiProxy;
