using IpcBroker.MiniProcess.OpenApi;
using Jint;
using Jint.Native.Object;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Adds functions to a mini program's <c>wx</c> object, on the JavaScript thread, before its entry script runs.</summary>
internal interface IJsGlobalInstaller
{
    /// <summary>Installs the functions.</summary>
    /// <param name="context">The engine, the <c>wx</c> object and the mini program.</param>
    void Install(JsInstallContext context);
}

/// <summary>What an <see cref="IJsGlobalInstaller"/> installs into.</summary>
/// <param name="Engine">The mini program's engine; touched on <paramref name="Thread"/> only.</param>
/// <param name="Wx">The <c>wx</c> global object.</param>
/// <param name="Thread">The JavaScript thread: answers that arrive elsewhere are posted to it.</param>
/// <param name="App">The mini program and its way to the main process.</param>
/// <param name="Logger">Where failures outside the mini program's own code are logged.</param>
/// <param name="Stopping">Fires when the mini program ends: work started for it stops, and nothing more is posted.</param>
internal sealed record JsInstallContext(Engine Engine, ObjectInstance Wx, IJsThread Thread, MiniAppContext App, ILogger Logger, CancellationToken Stopping);
