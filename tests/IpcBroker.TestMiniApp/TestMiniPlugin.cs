using IpcBroker.MiniProcess;
using IpcBroker.Plugins;

namespace IpcBroker.TestMiniApp;

/// <summary>Behaviours the end-to-end tests ask of a mini process.</summary>
/// <remarks>One instance per mini process, which serves one mini program for its life.</remarks>
[IpcMiniPlugin]
public sealed class TestMiniPlugin(ClientHolder holder, ApiLevelSetting apiLevel) : IAsyncDisposable
{
    private int count;
    private Task reconnectAttempt = Task.CompletedTask;
    private CancellationTokenSource? heldCall;

    /// <summary>Sets the open-API level of this mini program: <c>level</c> (an ApiLevel name).</summary>
    [IpcEvent(TestEvents.SetApiLevel)]
    public Bundle SetApiLevel(IpcRequest request)
    {
        apiLevel.Level = Enum.Parse<IpcBroker.OpenApi.ApiLevel>(request.Data.GetString("level", "Undefined"));
        return new Bundle();
    }

    /// <summary>Says which trace the handler runs in, as the mini process sees it.</summary>
    [IpcEvent(TestEvents.Trace)]
    public Bundle Trace(IpcRequest request) => new Bundle()
        .PutString("traceId", System.Diagnostics.Activity.Current?.TraceId.ToHexString())
        .PutString("parentSpanId", System.Diagnostics.Activity.Current?.ParentSpanId.ToHexString());

    /// <summary>Counts the calls this mini program has answered; a fresh mini program starts at 1.</summary>
    [IpcEvent(TestEvents.Count)]
    public Bundle Count(IpcRequest request) => new Bundle().PutInt("count", Interlocked.Increment(ref this.count));

    /// <summary>Writes <c>name</c> with <c>content</c> in the sandbox directory.</summary>
    [IpcEvent(TestEvents.WriteSandbox)]
    public async Task<Bundle> WriteSandboxAsync(IpcRequest request)
    {
        MiniProcessClient client = await holder.Client;
        string path = Path.Combine(client.SandboxDirectory ?? throw new InvalidOperationException("no sandbox"), request.Data.GetString("name", "file.txt"));
        await File.WriteAllTextAsync(path, request.Data.GetString("content", string.Empty));
        return new Bundle().PutString("path", path);
    }

    /// <summary>Lists the sandbox directory.</summary>
    [IpcEvent(TestEvents.ListSandbox)]
    public async Task<Bundle> ListSandboxAsync(IpcRequest request)
    {
        MiniProcessClient client = await holder.Client;
        string directory = client.SandboxDirectory ?? throw new InvalidOperationException("no sandbox");
        return new Bundle()
            .PutString("sandbox", directory)
            .PutStringArray("files", Directory.GetFiles(directory).Select(Path.GetFileName).ToArray());
    }

    /// <summary>Says it started (on standard error), waits <c>delayMs</c>, then answers with the request.</summary>
    [IpcEvent(TestEvents.DelayedEcho)]
    public async Task<Bundle> DelayedEchoAsync(IpcRequest request)
    {
        await Console.Error.WriteLineAsync("DELAYED-ECHO started");
        await Console.Error.FlushAsync();
        await Task.Delay(request.Data.GetInt("delayMs"));
        await Console.Error.WriteLineAsync("DELAYED-ECHO answering");
        return request.Data;
    }

    /// <summary>
    /// Behaves like a stale mini process: once the host closes this connection, it tries to connect again with the same
    /// launch line and reports on standard error whether the host let it in.
    /// </summary>
    [IpcEvent(TestEvents.ArmReconnect)]
    public async Task<Bundle> ArmReconnectAsync(IpcRequest request)
    {
        MiniProcessClient client = await holder.Client;
        this.reconnectAttempt = Task.Run(async () =>
        {
            await client.Completion;
            try
            {
                await using MiniProcessClient again = await MiniProcessClient.ConnectAsync(client.LaunchInfo, new IpcEventRegistry(IpcSide.Mini), timeout: TimeSpan.FromSeconds(5));
                await Console.Error.WriteLineAsync("RECONNECT accepted");
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync("RECONNECT refused: " + ex.Message);
            }

            await Console.Error.FlushAsync();
        });
        return new Bundle();
    }

    /// <summary>Keeps the process alive after the host closes its standard input: a foreground thread that never ends.</summary>
    [IpcEvent(TestEvents.IgnoreShutdown)]
    public Bundle IgnoreShutdown(IpcRequest request)
    {
        new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = false }.Start();
        return new Bundle();
    }

    /// <summary>Lets an armed reconnect attempt finish before the process exits.</summary>
    public async ValueTask DisposeAsync() => await this.reconnectAttempt.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>
    /// Writes <c>bytes</c> bytes of 'x' with no newline, as fast as it can, to standard output (or standard error when
    /// <c>stream</c> is "stderr"), then a newline and "FLOOD done"; answers once all of it is written.
    /// </summary>
    [IpcEvent(TestEvents.Flood)]
    public async Task<Bundle> FloodAsync(IpcRequest request)
    {
        long bytes = request.Data.GetLong("bytes");
        await using Stream stream = request.Data.GetString("stream") == "stderr" ? Console.OpenStandardError() : Console.OpenStandardOutput();
        byte[] chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (long left = bytes; left > 0; left -= chunk.Length)
        {
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)));
        }

        await stream.WriteAsync("\nFLOOD done\n"u8.ToArray());
        await stream.FlushAsync();
        return new Bundle();
    }

    /// <summary>Writes <c>count</c> lines "LINE i" to standard error, then answers.</summary>
    [IpcEvent(TestEvents.WriteLines)]
    public async Task<Bundle> WriteLinesAsync(IpcRequest request)
    {
        int lines = request.Data.GetInt("count");
        for (int i = 0; i < lines; i++)
        {
            await Console.Error.WriteLineAsync($"LINE {i}");
        }

        await Console.Error.FlushAsync();
        return new Bundle();
    }

    /// <summary>Answers with the request.</summary>
    [IpcEvent(TestEvents.Echo)]
    public Bundle Echo(IpcRequest request) => request.Data;

    /// <summary>Says who this process is and who called.</summary>
    [IpcEvent(TestEvents.WhoAmI)]
    public Bundle WhoAmI(IpcRequest request) => new Bundle()
        .PutInt("pid", Environment.ProcessId)
        .PutBoolean("isMiniProcess", MiniProcessClient.IsMiniProcess)
        .PutString("callerSide", request.Caller.Side.ToString())
        .PutInt("callerPid", request.Caller.ProcessId)
        .PutString("appId", request.Caller.AppId)
        .PutString("verType", request.Caller.VerType.ToString());

    /// <summary>
    /// Calls the main process with <c>event</c>, <c>data</c> and <c>timeoutMs</c>, and reports the outcome. <c>token</c>
    /// "canceled" passes a token cancelled before the call; "held" passes one that <see cref="TestEvents.CancelHeldCall"/> cancels.
    /// </summary>
    [IpcEvent(TestEvents.CallMain)]
    public async Task<Bundle> CallMainAsync(IpcRequest request)
    {
        MiniProcessClient client = await holder.Client;
        int timeoutMs = request.Data.GetInt("timeoutMs");
        using var token = new CancellationTokenSource();
        switch (request.Data.GetString("token"))
        {
            case "canceled":
                token.Cancel();
                break;
            case "held":
                this.heldCall = token;
                break;
        }

        IpcResult result = await client.CallMainProcessPluginAsync(
            request.Data.GetString("event", string.Empty),
            request.Data.GetBundle("data"),
            new IpcCallOptions { Timeout = timeoutMs > 0 ? TimeSpan.FromMilliseconds(timeoutMs) : null },
            token.Token);
        return new Bundle()
            .PutBoolean("ok", result.IsSuccess)
            .PutInt("errCode", (int)result.ErrorCode)
            .PutString("errMsg", result.ErrorMessage)
            .PutBundle("data", result.Data);
    }

    /// <summary>Cancels the token of the call to the main process that <see cref="TestEvents.CallMain"/> holds.</summary>
    [IpcEvent(TestEvents.CancelHeldCall)]
    public Bundle CancelHeldCall(IpcRequest request)
    {
        Interlocked.Exchange(ref this.heldCall, null)?.Cancel();
        return new Bundle();
    }

    /// <summary>Never answers.</summary>
    [IpcEvent(TestEvents.Hang)]
    public void Hang(IpcRequest request)
    {
    }

    /// <summary>Ends the process at once with exit code <c>code</c>, without answering.</summary>
    [IpcEvent(TestEvents.Exit)]
    public void Exit(IpcRequest request) => Environment.Exit(request.Data.GetInt("code"));
}
