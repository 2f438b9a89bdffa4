using IpcBroker.MainProcess.Demo;

// The demo: a transcript of three mini programs in three processes; exit code 0 when every expected outcome was seen.
return await DemoCommand.RunAsync(Console.Out);
