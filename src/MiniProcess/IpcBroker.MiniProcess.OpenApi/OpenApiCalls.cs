using IpcBroker.OpenApi;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>Calls a main-process open-API event and turns its failure into <c>{errno, errMsg}</c>.</summary>
internal static class OpenApiCalls
{
    /// <summary>Calls <paramref name="eventId"/>; on failure returns the errno the main process gave, or HostUnavailable with the IPC reason.</summary>
    public static async Task<(Bundle? Data, OpenApiResult? Failure)> CallAsync(MiniAppContext context, string eventId, Bundle request, CancellationToken cancellationToken)
    {
        IpcResult result = await context.Main.CallMainProcessPluginAsync(eventId, request, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            return (result.Data, null);
        }

        int errno = result.Data.GetInt(OpenApiErrno.Key, 0);
        return (null, errno != 0
            ? OpenApiResult.Error(errno, result.ErrorMessage ?? "failed")
            : OpenApiResult.Error(OpenApiErrno.HostUnavailable, $"The main process did not answer ({result.ErrorCode}): {result.ErrorMessage}"));
    }
}
