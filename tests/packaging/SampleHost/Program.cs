using IpcBroker;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SampleHost;

// A host app built against the packages alone, on the Generic Host: the MiniAppHost starts and stops with the app, its
// main plugin comes from the container, and its mini executable (mini/ beside it, started through launcher/ on Linux)
// is the MiniProcessProject of SampleHost.csproj. It calls its mini plugin, and checks what the mini got from the main
// plugin. Exits 0 only if all was right.
string sandbox = Path.Combine(Path.GetTempPath(), "samplehost-" + Environment.ProcessId);
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "OK" : "FAIL")} {what}");
    failures += ok ? 0 : 1;
}

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.Services.AddIpcPlugin<GreetingPlugin>();
builder.Services.AddMiniAppHost(options => options.SandboxRoot = sandbox);
try
{
    using IHost app = builder.Build();
    using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    await app.StartAsync(deadline.Token);
    try
    {
        MiniAppHost host = app.Services.GetRequiredService<MiniAppHost>();
        host.SignIn("u-1");
        MiniAppInfo info = await host.StartMiniAppAsync("wx-sample", MiniAppVerType.Release, deadline.Token);
        Console.WriteLine($"started wx-sample pid {info.ProcessId}");

        IpcResult echo = await host.CallMiniProcessPluginAsync("wx-sample", "SAMPLE_ECHO", new Bundle().PutString("text", "ping"), cancellationToken: deadline.Token);
        Check(echo.IsSuccess, $"host -> mini SAMPLE_ECHO: {echo.ErrorCode} {echo.ErrorMessage}");
        Check(echo.Data.GetString("echo") == "ping", $"mini echoed '{echo.Data.GetString("echo")}'");
        Check(echo.Data.GetString("greeting") == "hello mini from the host", $"mini -> host SAMPLE_GREET answered '{echo.Data.GetString("greeting")}'");
        Check(echo.Data.GetString("caller") == "wx-sample", $"the host saw the caller as '{echo.Data.GetString("caller")}'");
        await host.LogoutAsync(deadline.Token);
    }
    finally
    {
        await app.StopAsync(CancellationToken.None);
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
