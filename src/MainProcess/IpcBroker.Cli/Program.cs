using IpcBroker;
using IpcBroker.MainProcess.Cli;
using IpcBroker.MainProcess.Demo;
using StreamJsonRpc;

// The host executable and its command line.
const string Usage = """
    IpcBroker host

    Usage: dotnet run --project src/MainProcess/IpcBroker.Cli -- <verb> [arguments] [--json] [--connection FILE]

    Verbs:
      demo                         Three mini programs in three processes, calls both ways, open APIs, the cap, logout;
                                   a transcript with per-call times.
      serve [--data DIR] [--user ID] [--max N] [--policy FILE]
                                   Run a host with the sample plugins until Ctrl+C; writes a connection file
                                   (default $XDG_RUNTIME_DIR/ipcbroker/serve.json or ~/.ipcbroker/serve.json, mode 0600).
                                   --policy: which appIds may start and call which events (JSON; see the README).
      open APPID [--ver release|develop|preview|experience]
                                   Start or reactivate a mini program.
      list                         Running mini programs: pid, appId, build, state, last use.
      call EVENT [key=value ...] [--app APPID]
                                   Call EVENT on the main process as a mini program, or with --app on that mini program.
                                   Values are JSON when they parse (5, true, {"k":"v"}), else strings.
      wx APPID API [JSON]          Make that mini program call an open API (wx.login, wx.getUserInfo, ...); print the result.
      events                       The main process's registered events: who may call each, and its description.
      monitor                      A line per call: time, direction, appId, event, duration, bytes, outcome (Ctrl+C ends).
      stop APPID                   Stop a mini program.
      logout                       Log the user out: stop every mini program, revoke every session.

    Verbs that print data take --json. Errors are one line on standard error and exit code 2 (70 for a fault of the
    tool itself; IPCBROKER_TRACE=1 adds its detail).
    """;

try
{
    var arguments = new CliArguments(args);
    string verb = arguments.Positionals.FirstOrDefault() ?? string.Empty;
    if (arguments.Help || verb.Length == 0)
    {
        Console.WriteLine(Usage);
        return verb.Length == 0 && !arguments.Help ? 1 : 0;
    }

    return verb switch
    {
        "demo" => await DemoCommand.RunAsync(Console.Out),
        "serve" when !OperatingSystem.IsWindows() => await ServeCommand.RunAsync(arguments, Console.Out),
        "open" => await ClientCommands.OpenAsync(arguments, Console.Out),
        "list" => await ClientCommands.ListAsync(arguments, Console.Out),
        "call" => await ClientCommands.CallAsync(arguments, Console.Out),
        "wx" => await ClientCommands.WxAsync(arguments, Console.Out),
        "events" => await ClientCommands.EventsAsync(arguments, Console.Out),
        "monitor" => await ClientCommands.MonitorAsync(arguments, Console.Out),
        "stop" => await ClientCommands.StopAsync(arguments, Console.Out),
        "logout" => await ClientCommands.LogoutAsync(arguments, Console.Out),
        _ => throw new CliException($"unknown verb '{verb}'; run with --help for the list"),
    };
}
catch (Exception ex) when (ex is CliException or RemoteInvocationException or IpcConfigurationException or IOException
    or ConnectionLostException or UnauthorizedAccessException or TimeoutException or Microsoft.Data.Sqlite.SqliteException)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return 2;
}
catch (Exception ex)
{
    // A fault of the tool itself: still one line. IPCBROKER_TRACE=1 adds the detail for a bug report.
    Console.Error.WriteLine($"error: unexpected {ex.GetType().Name}: {ex.Message}");
    if (Environment.GetEnvironmentVariable("IPCBROKER_TRACE") == "1")
    {
        Console.Error.WriteLine(ex);
    }

    return 70;
}
