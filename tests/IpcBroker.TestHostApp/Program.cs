using IpcBroker;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;

// Usage: IpcBroker.TestHostApp <mini executable> <count>
//   Prints "pipe <path>", opens <count> mini programs, prints "mini <pid>" for each and then "ready", and runs until
//   its standard input closes (the orphan test kills it).
// Usage: IpcBroker.TestHostApp <mini executable> cycle <count>
//   Waits for a line on standard input (so that reading it has set up whatever it sets up), opens, calls and stops one
//   mini program (a warm-up), prints "warm" and waits for another line; then <count> times opens a mini program, calls
//   it and stops it, printing "mini <pid>"; then "done", and runs until its standard input closes. The leak test counts
//   this process's descriptors at "warm" and at "done".
bool cycle = args is [_, "cycle", _];
if (args.Length != (cycle ? 3 : 2) || !int.TryParse(args[^1], out int count))
{
    await Console.Error.WriteLineAsync("usage: IpcBroker.TestHostApp <mini executable> [cycle] <count>");
    return 2;
}

await using MiniAppHost host = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = args[0] });
Console.WriteLine($"pipe {host.PipePath}");
if (cycle)
{
    await Console.In.ReadLineAsync();
    await OpenCallStopAsync("wx-cycle-warm");

    // The host keeps one spare (a child of its own, with its pipes and socket): counted alike at "warm" and at "done".
    await host.WhenSparesReadyAsync();
    Console.WriteLine("warm");
    await Console.In.ReadLineAsync();
    for (int i = 0; i < count; i++)
    {
        Console.WriteLine($"mini {await OpenCallStopAsync($"wx-cycle-{i}")}");
    }

    await host.WhenSparesReadyAsync();
    Console.WriteLine("done");
}
else
{
    for (int i = 0; i < count; i++)
    {
        MiniAppInfo info = await host.StartMiniAppAsync($"wx-orphan-{i}");
        Console.WriteLine($"mini {info.ProcessId}");
    }

    Console.WriteLine("ready");
}

await Console.In.ReadToEndAsync();
return 0;

async Task<int> OpenCallStopAsync(string appId)
{
    MiniAppInfo info = await host.StartMiniAppAsync(appId);
    IpcResult echo = await host.CallMiniProcessPluginAsync(appId, "test.echo", new Bundle().PutString("k", "v"));
    if (!echo.IsSuccess || !await host.StopMiniAppAsync(appId))
    {
        throw new InvalidOperationException($"{appId}: the echo or the stop failed: {echo}");
    }

    return info.ProcessId;
}
