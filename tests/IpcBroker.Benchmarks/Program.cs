using IpcBroker.Benchmarks;

// The benchmark suite of issue 11; parts and the older benchmarks:
//   dotnet run -c Release --project tests/IpcBroker.Benchmarks -- all [--rounds N] [--window S] [--warmup S] [--opens N] [--no-micro]
//     everything in one run (floors, bare stacks, broker; interleaved; medians), writes benchmarks/latest.json and .md
//   ... -- latency|throughput|bulk|open|memory [options]   one part of it (printed, not written)
//   ... -- micro [BenchmarkDotNet args]                     the in-process BenchmarkDotNet suite
//   ... -- flood [window-seconds] [rounds]                  a good mini program's latency while a hostile one floods
//   ... -- start [rounds]                                   what the sandbox costs a start
//   ... -- javascript [rounds] [calls]                      a JavaScript mini program's open and wx round trip (issue 12)
//   ... -- [calls-per-round] [rounds]                       the first round-trip benchmark (RoundTripBenchmark)
// Child modes (started by the suite itself): raw-echo-server PATH, memory-probe FILE, and the stack server, selected by
// an environment variable because the launcher starts a mini executable with no arguments.
if (Environment.GetEnvironmentVariable(BareStack.ChildModeVariable) == BareStack.ChildModeValue)
{
    return await BareStack.ServeAsync();
}

return args switch
{
    ["raw-echo-server", string path] => await RawPipeEcho.ServeAsync(path),
    ["memory-probe", string file] => await MemoryProbe.RunAsync(file),
    ["flood", ..] => await FloodBenchmark.RunAsync(args[1..]),
    ["start", ..] => await StartBenchmark.RunAsync(args[1..]),
    ["javascript", ..] => await JavaScriptBenchmark.RunAsync(args[1..]),
    [("all" or "latency" or "throughput" or "bulk" or "open" or "memory") and string verb, ..] => await BenchmarkRun.RunAsync(verb, args[1..]),
    ["micro", ..] => IpcBroker.Benchmarks.Micro.MicroBenchmarks.Run(args[1..]),
    _ => await RoundTripBenchmark.RunAsync(args),
};
