using IpcBroker.MiniPrograms;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Plugins;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Serves the host's lifecycle calls of a JavaScript mini program: <see cref="MiniProgramEvents.Launch"/> and <see cref="MiniProgramEvents.Show"/>.</summary>
/// <param name="program">The mini program of this process.</param>
/// <param name="accessor">The connected client (the appId, the way to the main process).</param>
[IpcMiniPlugin]
internal sealed class MiniProgramLifecyclePlugin(JsMiniProgram program, MiniProcessClientAccessor accessor)
{
    /// <summary>Launches the package the request carries.</summary>
    /// <param name="request">The request: <see cref="MiniProgramEvents.FilesKey"/>, <see cref="MiniProgramEvents.EntryKey"/>.</param>
    /// <returns>A task that completes once answered.</returns>
    [IpcEvent(MiniProgramEvents.Launch, Description = "Runs the JavaScript mini program the request carries: entry script, onLaunch, onShow.")]
    public async Task LaunchAsync(IpcRequest request)
    {
        // Yield first: the connection runs the synchronous part of every handler in order.
        await Task.Yield();
        if (!accessor.Client.IsCompletedSuccessfully)
        {
            request.Fail("the mini process is not connected.");
            return;
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Bundle file in request.Data.GetBundleList(MiniProgramEvents.FilesKey) ?? [])
        {
            string? path = file.GetString(MiniProgramEvents.PathKey);
            string? normalized = path is null ? null : JsModuleLoader.Resolve(string.Empty, path);
            if (path is null || normalized != path || path.Length == 0 || !files.TryAdd(path, file.GetString(MiniProgramEvents.TextKey) ?? string.Empty))
            {
                request.Fail($"the package's file list is malformed (path '{path}').");
                return;
            }
        }

        string entry = request.Data.GetString(MiniProgramEvents.EntryKey) is { Length: > 0 } e ? e : MiniProgramEvents.DefaultEntry;
        string? reason = await program.LaunchAsync(files, entry, MiniAppContext.Of(await accessor.Client.ConfigureAwait(false))).ConfigureAwait(false);
        Answer(request, reason);
    }

    /// <summary>Runs <c>onShow</c> again.</summary>
    /// <param name="request">The request.</param>
    /// <returns>A task that completes once answered.</returns>
    [IpcEvent(MiniProgramEvents.Show, Description = "Runs the JavaScript mini program's onShow (the host reopened it).")]
    public async Task ShowAsync(IpcRequest request)
    {
        await Task.Yield();
        Answer(request, await program.ShowAsync().ConfigureAwait(false));
    }

    private static void Answer(IpcRequest request, string? reason)
    {
        if (reason is null)
        {
            request.Ok();
        }
        else
        {
            request.Fail(reason);
        }
    }
}
