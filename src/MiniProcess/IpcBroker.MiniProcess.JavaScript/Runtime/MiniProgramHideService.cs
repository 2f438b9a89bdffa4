using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Runs the mini program's <c>onHide</c> when the mini process stops: the Generic Host stops after the session has ended
/// (the host closed standard input or the connection), so <c>onHide</c> can no longer call the main process, but its
/// console lines still reach standard output. Bounded by <see cref="JavaScriptOptions.HideTimeout"/>.
/// </summary>
/// <param name="program">The mini program.</param>
/// <param name="options">The bounds.</param>
internal sealed class MiniProgramHideService(JsMiniProgram program, IOptions<JavaScriptOptions> options) : IHostedService
{
    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => program.HideAsync(options.Value.HideTimeout);
}
