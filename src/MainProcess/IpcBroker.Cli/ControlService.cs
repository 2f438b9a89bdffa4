using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.Plugins;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// What a <c>serve</c> host offers the other verbs over its control socket (JSON-RPC), one instance per client. The
/// client must present the connection file's token with <see cref="Hello"/> before anything else.
/// </summary>
internal sealed class ControlService(ServeContext context, JsonRpc client)
{
    private readonly TaskCompletionSource authenticated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes once the client has presented the right token.</summary>
    internal Task Authenticated => this.authenticated.Task;

    public void Hello(string token)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token ?? string.Empty), Encoding.UTF8.GetBytes(context.Token)))
        {
            throw new LocalRpcException("the token does not match this host's connection file");
        }

        this.authenticated.TrySetResult();
    }

    public async Task<MiniAppDto> OpenAsync(string appId, string build)
    {
        this.Check();
        if (!Enum.TryParse(build, ignoreCase: true, out MiniAppVerType verType) || !Enum.IsDefined(verType))
        {
            throw new LocalRpcException($"'{build}' is not a build: use release, develop, preview or experience");
        }

        try
        {
            return ToDto(await context.Host.StartMiniAppAsync(appId, verType).ConfigureAwait(false));
        }
        catch (ArgumentException ex)
        {
            // The message without the " (Parameter 'appId')" that ArgumentException appends: the user typed no parameter names.
            throw new LocalRpcException(ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal));
        }
        catch (MiniAppStartException ex)
        {
            throw new LocalRpcException(ex.Message);
        }
    }

    /// <summary>Maps the package in <paramref name="packageDirectory"/> (a full path) to its appId, then opens it (<c>open --package</c>).</summary>
    public async Task<MiniAppDto> OpenPackageAsync(string? appId, string packageDirectory, string build)
    {
        this.Check();
        string mapped;
        try
        {
            // Read first: a package whose appId is not the one asked for is not mapped at all.
            string packageAppId = MiniProgramPackage.Read(packageDirectory).AppId;
            if (appId is not null && appId != packageAppId)
            {
                throw new LocalRpcException($"the package '{packageDirectory}' is the mini program '{packageAppId}' (its app.json), not '{appId}'");
            }

            mapped = context.Host.AddMiniProgram(packageDirectory);
        }
        catch (MiniProgramPackageException ex)
        {
            throw new LocalRpcException(ex.Message);
        }

        return await this.OpenAsync(mapped, build).ConfigureAwait(false);
    }

    public MiniAppDto[] List()
    {
        this.Check();
        return context.Host.RunningMiniApps.Select(ToDto).ToArray();
    }

    public SpareDto[] ListSpares()
    {
        this.Check();
        return context.Host.GetSpareProcesses().Select(s => new SpareDto(s.ProcessId, s.StartedAt, s.IsReady)).ToArray();
    }

    public async Task<CallResultDto> CallAsync(string eventId, string bundleJson, string? appId)
    {
        this.Check();
        Bundle request;
        try
        {
            request = (JsonNode.Parse(bundleJson) as JsonObject ?? throw new FormatException("not an object")).ToBundle();
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw new LocalRpcException("the call's data is not valid: " + ex.Message);
        }

        IpcResult result = appId is null
            ? await context.CliConnection.CallAsync(eventId, request).ConfigureAwait(false)
            : await context.Host.CallMiniProcessPluginAsync(appId, eventId, request).ConfigureAwait(false);
        return new CallResultDto(result.IsSuccess, result.ErrorCode.ToString(), result.ErrorMessage, result.Data.ToString());
    }

    public async Task<CallResultDto> WxAsync(string appId, string api, string parametersJson)
    {
        this.Check();
        IpcResult result = await context.Host.CallMiniProcessPluginAsync(appId, WellKnownEvents.InvokeOpenApi, new Bundle().PutString("api", api).PutString("params", parametersJson)).ConfigureAwait(false);
        return new CallResultDto(result.IsSuccess, result.ErrorCode.ToString(), result.ErrorMessage, result.IsSuccess ? result.Data.GetString("result", "{}") : result.Data.ToString());
    }

    public EventDto[] Events()
    {
        this.Check();
        MiniAppPolicy policy = context.Host.Policy;
        return context.Host.Registry.Events
            .Select(e =>
            {
                (IReadOnlyList<string>? allowed, IReadOnlyList<string> denied) = policy.CallersOf(e.EventId);
                return new EventDto(e.EventId, "main", e.Description, e.Source, allowed?.ToArray(), [.. denied]);
            })
            .OrderBy(e => e.Event, StringComparer.Ordinal)
            .ToArray();
    }

    public async Task<bool> StopAsync(string appId)
    {
        this.Check();
        return await context.Host.StopMiniAppAsync(appId).ConfigureAwait(false);
    }

    public async Task LogoutAsync()
    {
        this.Check();
        await context.Host.LogoutAsync().ConfigureAwait(false);
    }

    public void Monitor()
    {
        this.Check();
        context.Broadcaster.Subscribe(client);
    }

    private static MiniAppDto ToDto(MiniAppInfo info) => new(info.AppId, info.VerType.ToString().ToLowerInvariant(), info.ProcessId, info.State.ToString(), info.StartedAt, info.LastUsedAt, info.Sandbox);

    private void Check()
    {
        if (!this.authenticated.Task.IsCompleted)
        {
            throw new LocalRpcException("say hello with the connection file's token first");
        }
    }
}
