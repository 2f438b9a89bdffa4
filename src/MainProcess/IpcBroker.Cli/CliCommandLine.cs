using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using IpcBroker.MainProcess.Demo;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// The command line's verbs, options and help (System.CommandLine): <c>ipcbroker VERB [arguments] [options]</c>, each
/// verb's action calling <see cref="ServeCommand"/>, <see cref="ClientCommands"/> or the demo.
/// </summary>
internal static class CliCommandLine
{
    /// <summary>The name the help shows: the tool's command (<c>ipcbroker</c>), whatever the executable is called.</summary>
    public const string Name = "ipcbroker";

    /// <summary>The exit code of a wrong command line or a refused request.</summary>
    public const int UsageError = 2;

    /// <summary>Builds the command tree.</summary>
    /// <param name="output">Where the verbs print.</param>
    /// <returns>The root command.</returns>
    public static Command Create(TextWriter output)
    {
        var root = new Command(Name, "The IpcBroker command line: run a host (serve) and drive it from another terminal (open, list, call, wx, events, monitor, stop, logout), or run the demo. The verbs that talk to a host find it through serve's connection file. Errors are one line on standard error and exit code 2 (70 for a fault of the tool itself; IPCBROKER_TRACE=1 adds its detail).")
        {
            new HelpOption(),
            new VersionOption(),
        };

        // No verb: the help, and a failing exit code (a script that lost its verb must not pass).
        root.SetAction(parse =>
        {
            new HelpAction().Invoke(parse);
            return 1;
        });

        var demo = new Command("demo", "Three mini programs in three processes, calls both ways, open APIs, the cap, logout; a transcript with per-call times.");
        demo.SetAction(_ => DemoCommand.RunAsync(output));
        root.Add(demo);

        root.Add(Serve(output));
        root.Add(Open(output));
        root.Add(Client("list", "Running mini programs: pid, appId, build, state, last use, sandbox; then the spare processes apart.", json: true, (args, _) => ClientCommands.ListAsync(args, output)));
        root.Add(Call(output));
        root.Add(Wx(output));
        root.Add(Client("events", "The main process's registered events: who may call each, and its description.", json: true, (args, _) => ClientCommands.EventsAsync(args, output)));
        root.Add(Client("monitor", "A line per call: time, direction, appId, event, duration, bytes, outcome (Ctrl+C ends).", json: true, (args, _) => ClientCommands.MonitorAsync(args, output)));

        var stopApp = new Argument<string>("APPID") { Description = "The mini program." };
        root.Add(Client("stop", "Stop a mini program.", json: false, (args, parse) => ClientCommands.StopAsync(args, parse.GetRequiredValue(stopApp), output), stopApp));
        root.Add(Client("logout", "Log the user out: stop every mini program, revoke every session.", json: false, (args, _) => ClientCommands.LogoutAsync(args, output)));
        return root;
    }

    private static Command Serve(TextWriter output)
    {
        var mini = Valued(new Option<string>("--mini") { HelpName = "PATH", Description = "The mini program executable, a .dll or a native one (default: the sample mini program). A test harness passes its own." });
        var data = Valued(new Option<string>("--data") { HelpName = "DIR", Description = "The data directory: the open APIs' database, the sandboxes (default: ~/.local/share/IpcBroker)." });
        var user = Valued(new Option<string>("--user") { HelpName = "ID", Description = "The signed-in user (default: u-1001)." });
        var max = new Option<int?>("--max")
        {
            HelpName = "N",
            Description = "The most mini processes alive at once (default: 5).",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) && value >= 1)
                {
                    return value;
                }

                result.AddError($"--max must be a whole number of at least 1, not '{text}'");
                return null;
            },
        };
        var policy = Valued(new Option<string>("--policy") { HelpName = "FILE", Description = "Which appIds may start and call which events (JSON: startableAppIds, eventCallers, appEvents; see the README)." });
        var config = Valued(new Option<string>("--config")
        {
            HelpName = "FILE",
            Description = "The same settings in a JSON file: {\"mini\": PATH, \"data\": DIR, \"user\": ID, \"max\": N, \"policy\": FILE, \"packages\": [DIR, ...]}, each optional, relative paths from the file's directory. An option given here overrides the file's (packages: both are mapped); an unknown setting is an error.",
        });
        var packages = PackageOption("A mini program written in JavaScript: a directory with app.json (its appId, its entry script) and its .js files. Opening that appId runs it. Repeatable.");
        var connection = ConnectionOption("Where to write the connection file");
        var serve = new Command("serve", "Run a host with the sample plugins until Ctrl+C or SIGTERM. Writes a connection file for the other verbs (mode 0600) and removes it at exit. What mini programs written in JavaScript log (console.*) is printed as it comes.")
        {
            mini, data, user, max, policy, packages, config, connection,
        };
        serve.SetAction(parse =>
        {
            if (OperatingSystem.IsWindows())
            {
                throw new CliException("serve runs on Linux and macOS only");
            }

            string[]? packageDirectories = parse.GetValue(packages) is { Length: > 0 } list ? [.. list.Select(Path.GetFullPath)] : null;
            var given = new ServeSettings(parse.GetValue(mini), parse.GetValue(data), parse.GetValue(user), parse.GetValue(max), parse.GetValue(policy), packageDirectories);
            ServeSettings settings = parse.GetValue(config) is { } configPath ? given.Over(ServeConfigFile.Read(configPath)) : given;
            return ServeCommand.RunAsync(settings, parse.GetValue(connection) ?? ConnectionFile.DefaultPath, output);
        });
        return serve;
    }

    private static Command Open(TextWriter output)
    {
        var appId = new Argument<string?>("APPID") { Arity = ArgumentArity.ZeroOrOne, Description = "The mini program; with --package, optional (it must then be the package's appId)." };
        var ver = Valued(new Option<string>("--ver") { HelpName = "BUILD", Description = "The build to start: release, develop, preview or experience.", DefaultValueFactory = _ => "release" });
        var package = Valued(new Option<string>("--package") { HelpName = "DIR", Description = "A mini program written in JavaScript (a directory with app.json and its .js files): the host maps its appId to it, then opens it." });
        Command open = Client(
            "open",
            "Start or reactivate a mini program; with --package, a mini program written in JavaScript from its directory.",
            json: true,
            (args, parse) => parse.GetValue(package) is { } directory
                ? ClientCommands.OpenPackageAsync(args, parse.GetValue(appId), Path.GetFullPath(directory), parse.GetValue(ver)!, output)
                : ClientCommands.OpenAsync(args, parse.GetValue(appId) ?? throw new CliException("open needs an APPID, or --package DIR"), parse.GetValue(ver)!, output),
            appId,
            ver,
            package);
        return open;
    }

    private static Option<string[]> PackageOption(string description)
    {
        var option = new Option<string[]>("--package") { HelpName = "DIR", Description = description, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Any(t => t.Value.StartsWith("--", StringComparison.Ordinal)))
            {
                result.AddError($"{option.Name} needs a value");
            }
        });
        return option;
    }

    private static Command Call(TextWriter output)
    {
        var eventId = new Argument<string>("EVENT") { Description = "The event." };
        var pairs = new Argument<string[]>("key=value") { Arity = ArgumentArity.ZeroOrMore, Description = "The request's data; values are JSON when they parse (5, true, {\"k\":\"v\"}), else strings." };
        var app = Valued(new Option<string>("--app") { HelpName = "APPID", Description = "Call that mini program's event from the host, rather than the main process's as a mini program." });
        return Client(
            "call",
            "Call EVENT on the main process as a mini program (the caller is ipcbroker-cli), or with --app on that mini program.",
            json: true,
            (args, parse) => ClientCommands.CallAsync(args, parse.GetRequiredValue(eventId), parse.GetValue(pairs) ?? [], parse.GetValue(app), output),
            eventId,
            pairs,
            app);
    }

    private static Command Wx(TextWriter output)
    {
        var appId = new Argument<string>("APPID") { Description = "The mini program that calls." };
        var api = new Argument<string>("API") { Description = "The open API: wx.login, wx.getUserInfo, wx.requestPayment, ..." };
        var parameters = new Argument<string?>("JSON") { Arity = ArgumentArity.ZeroOrOne, Description = "Its parameters (default: {})." };
        return Client(
            "wx",
            "Make that mini program call an open API; print the result.",
            json: true,
            (args, parse) => ClientCommands.WxAsync(args, parse.GetRequiredValue(appId), parse.GetRequiredValue(api), parse.GetValue(parameters), output),
            appId,
            api,
            parameters);
    }

    /// <summary>A verb that talks to a running host: its own symbols, <c>--connection</c>, and <c>--json</c> if it prints data.</summary>
    private static Command Client(string name, string description, bool json, Func<ClientOptions, ParseResult, Task<int>> run, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (Symbol symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument: command.Add(argument); break;
                case Option option: command.Add(option); break;
            }
        }

        Option<bool>? jsonOption = json ? new Option<bool>("--json") { Description = "Print JSON, for scripts." } : null;
        if (jsonOption is not null)
        {
            command.Add(jsonOption);
        }

        Option<string> connection = ConnectionOption("The running host's connection file");
        command.Add(connection);
        command.SetAction(parse => run(new ClientOptions(parse.GetValue(connection) ?? ConnectionFile.DefaultPath, jsonOption is not null && parse.GetValue(jsonOption)), parse));
        return command;
    }

    private static Option<string> ConnectionOption(string what) => Valued(new Option<string>("--connection")
    {
        HelpName = "FILE",
        Description = what + " (default: $XDG_RUNTIME_DIR/ipcbroker/serve.json, else ~/.ipcbroker/serve.json).",
    });

    /// <summary>
    /// Refuses an option name as <paramref name="option"/>'s value: System.CommandLine would take <c>--app --json</c>'s
    /// <c>--json</c> as the appId, where the user forgot the value.
    /// </summary>
    private static Option<string> Valued(Option<string> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.Tokens[0].Value.StartsWith("--", StringComparison.Ordinal))
            {
                result.AddError($"{option.Name} needs a value");
            }
        });
        return option;
    }
}
