using IpcBroker;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using SampleHost;

// A host app built against the packages alone: starts its mini executable (mini/ beside it, through launcher/ on
// Linux), calls its mini plugin, and checks what the mini got from the main plugin. Exits 0 only if all was right.
var registry = new IpcEventRegistry(IpcSide.Main);
registry.Register(new GreetingPlugin());
string sandbox = Path.Combine(Path.GetTempPath(), "samplehost-" + Environment.ProcessId);
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "OK" : "FAIL")} {what}");
    failures += ok ? 0 : 1;
}

try
{
    await using (MiniAppHost host = MiniAppHost.Start(registry, new MiniAppHostOptions { SandboxRoot = sandbox }))
    {
        host.SignIn("u-1");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        MiniAppInfo info = await host.StartMiniAppAsync("wx-sample", MiniAppVerType.Release, deadline.Token);
        Console.WriteLine($"started wx-sample pid {info.ProcessId}");

        IpcResult echo = await host.CallMiniProcessPluginAsync("wx-sample", "SAMPLE_ECHO", new Bundle().PutString("text", "ping"));
        Check(echo.IsSuccess, $"host -> mini SAMPLE_ECHO: {echo.ErrorCode} {echo.ErrorMessage}");
        Check(echo.Data.GetString("echo") == "ping", $"mini echoed '{echo.Data.GetString("echo")}'");
        Check(echo.Data.GetString("greeting") == "hello mini from the host", $"mini -> host SAMPLE_GREET answered '{echo.Data.GetString("greeting")}'");
        Check(echo.Data.GetString("caller") == "wx-sample", $"the host saw the caller as '{echo.Data.GetString("caller")}'");
        await host.LogoutAsync();
    }
}
catch (Exception e)
{
    Check(false, $"{e.GetType().Name}: {e.Message}");
}
finally
{
    try { Directory.Delete(sandbox, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

Console.WriteLine(failures == 0 ? "ALL OK" : $"{failures} FAILED");
return failures == 0 ? 0 : 1;
