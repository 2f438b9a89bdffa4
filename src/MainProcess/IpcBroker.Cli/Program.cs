using System.CommandLine;
using System.CommandLine.Invocation;
using IpcBroker;
using IpcBroker.MainProcess.Cli;
using StreamJsonRpc;

// The command line: System.CommandLine parses (CliCommandLine); a wrong command line or a refused request is one line
// on standard error and exit code 2, a fault of the tool itself exit code 70.
try
{
    Command root = CliCommandLine.Create(Console.Out);

    // No response files: '@' starts a value (call EVENT key=@x) as readily as a file name.
    ParseResult parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
    if (parse.Action is ParseErrorAction)
    {
        Console.Error.WriteLine("error: " + ParseErrorLine.Describe(parse));
        return CliCommandLine.UsageError;
    }

    // The tool's own handlers: serve's signals end it cleanly, and a failure is reported below, in one line.
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
}
catch (Exception ex) when (ex is CliException or RemoteInvocationException or IpcConfigurationException or IOException
    or ConnectionLostException or UnauthorizedAccessException or TimeoutException or Microsoft.Data.Sqlite.SqliteException)
{
    Console.Error.WriteLine("error: " + ex.Message);
    return CliCommandLine.UsageError;
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
