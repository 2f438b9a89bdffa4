using System.Diagnostics;
using IpcBroker.MiniProcess;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;

namespace IpcBroker.TestMiniApp;

/// <summary>
/// The benchmark's C# side of "a wx call's round trip": runs an open API through <see cref="OpenApiDispatcher"/> in this
/// process, <c>calls</c> times one after the other, as <c>wx.&lt;api&gt;</c> from JavaScript does, and answers the elapsed
/// milliseconds (measured here, so that only the in-process cost and the main-process round trips count).
/// </summary>
[IpcMiniPlugin]
public sealed class OpenApiBenchPlugin(MiniProcessClientAccessor accessor, MiniOpenApiProxy proxy, ILoggerFactory loggerFactory)
{
    private readonly OpenApiDispatcher dispatcher = new(proxy, loggerFactory.CreateLogger("IpcBroker.MiniProcess.OpenApi"));

    /// <summary>Runs the loop; answers <c>calls</c>, <c>failures</c>, <c>ms</c> and the last result.</summary>
    /// <param name="request"><c>api</c> (default checkSession), <c>params</c> (JSON, default {}), <c>calls</c> (default 100).</param>
    /// <returns>The figures.</returns>
    [IpcEvent(BenchPayload.OpenApiLoop)]
    public async Task<Bundle> LoopAsync(IpcRequest request)
    {
        MiniProcessClient client = await accessor.Client;
        MiniAppContext context = MiniAppContext.Of(client);
        string api = request.Data.GetString("api", "checkSession")!;
        string parameters = request.Data.GetString("params", "{}")!;
        int calls = request.Data.GetInt("calls", 100);
        int failures = 0;
        string last = string.Empty;
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            last = await this.dispatcher.InvokeJsonAsync(context, api, parameters, request.CancellationToken);
            if (!last.Contains("\"success\":true", StringComparison.Ordinal))
            {
                failures++;
            }
        }

        return new Bundle()
            .PutInt("calls", calls)
            .PutInt("failures", failures)
            .PutDouble("ms", Stopwatch.GetElapsedTime(started).TotalMilliseconds)
            .PutString("last", last);
    }
}
