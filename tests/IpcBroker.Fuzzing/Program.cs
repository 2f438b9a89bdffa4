namespace IpcBroker.Fuzzing;

/// <summary>
/// The fuzzing program. <c>IpcBroker.Fuzzing TARGET</c> runs one target under afl-fuzz (SharpFuzz's out-of-process fork
/// server, which survives a stack overflow or a timeout by restarting its child); <c>seed DIR</c> writes the seed corpus;
/// <c>replay TARGET PATH...</c> runs a target over files or folders without AFL and names each input that crashes it.
/// </summary>
public static class Program
{
    /// <summary>Runs the program.</summary>
    /// <param name="args">The command line.</param>
    /// <returns>0 on success, 1 when a replayed input crashed its target, 2 on a bad command line.</returns>
    public static int Main(string[] args)
    {
        switch (args)
        {
            case ["seed", string folder]:
                SeedCorpus.Write(folder);
                Console.WriteLine($"Wrote the seed corpus under {Path.GetFullPath(folder)}.");
                return 0;
            case ["replay", string name, .. string[] paths] when paths.Length > 0 && FuzzTargets.All.TryGetValue(name, out FuzzTarget? target):
                return Replay(target, paths);
            case [string name] when FuzzTargets.All.TryGetValue(name, out FuzzTarget? target):
                // Each run gets the whole input: afl-fuzz rewrites the input file for every execution, and the stream is
                // read to its end (inputs are small; afl-fuzz caps them at 1 MB).
                SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
                {
                    using var buffer = new MemoryStream();
                    stream.CopyTo(buffer);
                    _ = target(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
                });
                return 0;
            default:
                Console.Error.WriteLine($"usage: IpcBroker.Fuzzing TARGET | seed DIR | replay TARGET PATH...   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
                return 2;
        }
    }

    private static int Replay(FuzzTarget target, string[] paths)
    {
        int crashes = 0;
        IEnumerable<string> files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]);
        foreach (string file in files)
        {
            try
            {
                FuzzOutcome outcome = target(File.ReadAllBytes(file));
                Console.WriteLine($"{outcome,-8} {file}");
            }
            catch (Exception ex)
            {
                crashes++;
                Console.WriteLine($"CRASH {file}: {ex}");
            }
        }

        Console.WriteLine(crashes == 0 ? "No input crashed the target." : $"{crashes} input(s) crashed the target.");
        return crashes == 0 ? 0 : 1;
    }
}
