using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MiniProcess.OpenApi;

/// <summary>
/// Lets the host (or a tool) make this mini program call an open API: <see cref="WellKnownEvents.InvokeOpenApi"/> with
/// <c>api</c> and <c>params</c> (JSON text) answers <c>result</c> (JSON text), as a mini program runtime would receive it.
/// </summary>
/// <param name="accessor">The connected client.</param>
/// <param name="proxy">The host's proxy.</param>
/// <param name="loggerFactory">Where the dispatcher logs.</param>
[IpcMiniPlugin]
public sealed class OpenApiPlugin(MiniProcessClientAccessor accessor, MiniOpenApiProxy proxy, ILoggerFactory loggerFactory)
{
    private readonly OpenApiDispatcher dispatcher = new(proxy, loggerFactory.CreateLogger("IpcBroker.MiniProcess.OpenApi"));

    /// <summary>Runs an open API in this mini program.</summary>
    /// <param name="request"><c>api</c>, <c>params</c>.</param>
    /// <returns><c>result</c>: <c>{"success": bool, "data": {...}}</c>.</returns>
    [IpcEvent(WellKnownEvents.InvokeOpenApi, Description = "Make this mini program call a wx.* open API; answers the result JSON")]
    public async Task<Bundle> InvokeAsync(IpcRequest request)
    {
        MiniProcessClient client = await accessor.Client.ConfigureAwait(false);
        string result = await this.dispatcher.InvokeJsonAsync(MiniAppContext.Of(client), request.Data.GetString("api", string.Empty), request.Data.GetString("params"), request.CancellationToken).ConfigureAwait(false);
        return new Bundle().PutString("result", result);
    }
}
