using IpcBroker.MainProcess.Demo;

// The host executable. Verbs: demo. More arrive with the command-line issue.
const string Usage = """
    IpcBroker host

    Usage: dotnet run --project src/MainProcess -- <verb>

    Verbs:
      demo    Open three mini programs, each in its own process; each calls OPEN_DATA_IPC_EVENT_GET_USER_ID on the
              main process and answers a call from the host. Prints a transcript with per-call times.
    """;

switch (args)
{
    case ["demo"]:
        return await DemoCommand.RunAsync(Console.Out);
    case [] or ["--help"] or ["-h"]:
        Console.WriteLine(Usage);
        return args.Length == 0 ? 1 : 0;
    default:
        Console.Error.WriteLine($"Unknown verb '{string.Join(' ', args)}'. Run with --help for the list.");
        return 1;
}
