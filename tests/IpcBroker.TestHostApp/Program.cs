using IpcBroker;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;

// Usage: IpcBroker.TestHostApp <mini executable> <count>
// Prints "pipe <path>", opens <count> mini programs, prints "mini <pid>" for each and then "ready", and runs until its
// standard input closes.
if (args is not [string miniExecutable, string countText] || !int.TryParse(countText, out int count))
{
    await Console.Error.WriteLineAsync("usage: IpcBroker.TestHostApp <mini executable> <count>");
    return 2;
}

await using MiniAppHost host = MiniAppHost.Start(new IpcEventRegistry(IpcSide.Main), new MiniAppHostOptions { MiniExecutablePath = miniExecutable });
Console.WriteLine($"pipe {host.PipePath}");
for (int i = 0; i < count; i++)
{
    MiniAppInfo info = await host.StartMiniAppAsync($"wx-orphan-{i}");
    Console.WriteLine($"mini {info.ProcessId}");
}

Console.WriteLine("ready");
await Console.In.ReadToEndAsync();
return 0;
