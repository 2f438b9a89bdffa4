using System.Text.Json;
using System.Text.Json.Nodes;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>The verbs that talk to a running host: open, list, call, wx, events, monitor, stop, logout.</summary>
internal static class ClientCommands
{
    // Relaxed escaping: the output is read by people and scripts, not embedded in HTML, so "->" stays "->".
    private static readonly JsonSerializerOptions Compact = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions Indented = new(Compact) { WriteIndented = true };

    public static async Task<int> OpenAsync(ClientOptions args, string appId, string build, TextWriter output)
    {
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        MiniAppDto app = await rpc.AskAsync<MiniAppDto>("Open", appId, build);
        await output.WriteLineAsync(args.Json ? JsonSerializer.Serialize(app, Indented) : $"{app.AppId} ({app.Build}) running as pid {app.Pid}");
        return 0;
    }

    public static async Task<int> OpenPackageAsync(ClientOptions args, string? appId, string packageDirectory, string build, TextWriter output)
    {
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        MiniAppDto app = await rpc.AskAsync<MiniAppDto>("OpenPackage", appId, packageDirectory, build);
        await output.WriteLineAsync(args.Json ? JsonSerializer.Serialize(app, Indented) : $"{app.AppId} ({app.Build}) running as pid {app.Pid}, from the package {packageDirectory}");
        return 0;
    }

    public static async Task<int> ListAsync(ClientOptions args, TextWriter output)
    {
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        MiniAppDto[] apps = await rpc.AskAsync<MiniAppDto[]>("List");
        SpareDto[] spares = await rpc.AskAsync<SpareDto[]>("ListSpares");
        if (args.Json)
        {
            // Spares apart: they serve no mini program and are not counted in the cap.
            await output.WriteLineAsync(JsonSerializer.Serialize(new ListDto(apps, spares), Indented));
            return 0;
        }

        await PrintTableAsync(
            apps,
            args,
            output,
            $"{"PID",-8} {"APPID",-24} {"BUILD",-11} {"STATE",-9} LAST USED",
            app => $"{app.Pid,-8} {app.AppId,-24} {app.Build,-11} {app.State,-9} {app.LastUsed.ToLocalTime():HH:mm:ss.fff}");
        if (spares.Length > 0)
        {
            await output.WriteLineAsync();
            await PrintTableAsync(spares, args, output, $"{"SPARE",-8} {"READY",-6} STARTED", s => $"{s.Pid,-8} {(s.Ready ? "yes" : "no"),-6} {s.Started.ToLocalTime():HH:mm:ss.fff}");
        }

        return 0;
    }

    public static async Task<int> CallAsync(ClientOptions args, string eventId, IReadOnlyList<string> pairs, string? appId, TextWriter output)
    {
        var data = new JsonObject();
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"'{pair}' is not key=value");
            }

            data[pair[..equals]] = ParseValue(pair[(equals + 1)..]);
        }

        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        CallResultDto result = await rpc.AskAsync<CallResultDto>("Call", eventId, data.ToJsonString(), appId);
        return await ReportAsync(result, args, output);
    }

    public static async Task<int> WxAsync(ClientOptions args, string appId, string api, string? parameters, TextWriter output)
    {
        parameters ??= "{}";
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        CallResultDto result = await rpc.AskAsync<CallResultDto>("Wx", appId, api, parameters);
        if (!result.Ok)
        {
            return await ReportAsync(result, args, output);
        }

        await output.WriteLineAsync(args.Json ? result.Data : JsonNode.Parse(result.Data)!.ToJsonString(Indented));
        return JsonNode.Parse(result.Data)?["success"]?.GetValue<bool>() == true ? 0 : 1;
    }

    public static async Task<int> EventsAsync(ClientOptions args, TextWriter output)
    {
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        return await PrintTableAsync(await rpc.AskAsync<EventDto[]>("Events"), args, output, header: null, e => $"{e.Event,-36} {e.Side,-5} {CallersText(e),-24} {e.Description}");
    }

    /// <summary>Who may call an event, in a few words: <c>any</c>, <c>any but a,b</c>, <c>a,b</c> or <c>none</c>.</summary>
    private static string CallersText(EventDto e) => (e.AllowedAppIds, e.DeniedAppIds) switch
    {
        (null, []) => "any",
        (null, var denied) => "any but " + string.Join(',', denied),
        ([], _) => "none",
        (var allowed, _) => string.Join(',', allowed),
    };

    public static async Task<int> MonitorAsync(ClientOptions args, TextWriter output)
    {
        var printer = new MonitorPrinter(output, args.Json);
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath, printer);
        await rpc.AskAsync("Monitor");
        if (!args.Json)
        {
            await output.WriteLineAsync($"{"TIME",-12} {"DIRECTION",-10} {"APPID",-20} {"EVENT",-34} {"MS",8} {"REQ B",7} {"RES B",7} OUTCOME");
        }

        using var stopping = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
        };
        await Task.WhenAny(rpc.Completion, Task.Delay(Timeout.Infinite, stopping.Token)).ConfigureAwait(false);
        return 0;
    }

    public static async Task<int> StopAsync(ClientOptions args, string appId, TextWriter output)
    {
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        if (!await rpc.AskAsync<bool>("Stop", appId))
        {
            throw new CliException($"'{appId}' is not running");
        }

        await output.WriteLineAsync($"stopped {appId}");
        return 0;
    }

    public static async Task<int> LogoutAsync(ClientOptions args, TextWriter output)
    {
        using JsonRpc rpc = await ControlClient.ConnectAsync(args.ConnectionPath);
        await rpc.AskAsync("Logout");
        await output.WriteLineAsync("logged out: every mini program stopped, every session revoked");
        return 0;
    }

    /// <summary>Prints <paramref name="rows"/> as indented JSON with --json, else a line each under <paramref name="header"/>.</summary>
    private static async Task<int> PrintTableAsync<T>(T[] rows, ClientOptions args, TextWriter output, string? header, Func<T, string> line)
    {
        if (args.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(rows, Indented));
            return 0;
        }

        if (header is not null)
        {
            await output.WriteLineAsync(header);
        }

        foreach (T row in rows)
        {
            await output.WriteLineAsync(line(row));
        }

        return 0;
    }

    /// <summary>A value as JSON if it parses (5 → int, true → bool, {"a":1} → bundle), else the text as a string.</summary>
    private static JsonNode? ParseValue(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static async Task<int> ReportAsync(CallResultDto result, ClientOptions args, TextWriter output)
    {
        if (args.Json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { ok = result.Ok, errorCode = result.ErrorCode, errorMessage = result.ErrorMessage, data = JsonNode.Parse(result.Data) }, Indented));
            return result.Ok ? 0 : 1;
        }

        if (!result.Ok)
        {
            throw new CliException($"{result.ErrorCode}: {result.ErrorMessage}");
        }

        await output.WriteLineAsync(JsonNode.Parse(result.Data)!.ToJsonString(Indented));
        return 0;
    }

    /// <summary>Receives the host's <c>call</c> notifications.</summary>
    private sealed class MonitorPrinter(TextWriter output, bool json)
    {
        [JsonRpcMethod("call")]
        public void Call(CallLine line)
        {
            lock (output)
            {
                output.WriteLine(json
                    ? JsonSerializer.Serialize(line, Compact)
                    : $"{line.Time.ToLocalTime():HH:mm:ss.fff} {line.Direction,-10} {line.AppId,-20} {line.Event,-34} {line.DurationMs,8:0.000} {line.RequestBytes,7} {line.ResponseBytes,7} {line.Outcome}");
                output.Flush();
            }
        }
    }
}
