using IpcBroker.Fuzzing;

namespace IpcBroker.Tests;

/// <summary>
/// Runs every fuzz target over its committed seed corpus and crash reproducers (corpus/TARGET/regressions/), so the
/// harness and every fixed finding are checked on each test run without AFL. scripts/fuzz.sh does the fuzzing itself.
/// </summary>
public class FuzzCorpusTests(ITestOutputHelper output) : TestBase(output)
{
    private static readonly string CorpusRoot = Path.Combine(AppContext.BaseDirectory, "fuzz-corpus");

    /// <summary>
    /// What the seeds must do: the valid ones are accepted (so the target really reaches the decoding past the refusals),
    /// the edge cases refused. Seeds not listed here, and regressions, must only not crash or hang.
    /// </summary>
    private static readonly Dictionary<string, FuzzOutcome> ExpectedOutcomes = new(StringComparer.Ordinal)
    {
        ["frame/empty-input"] = FuzzOutcome.Accepted,
        ["frame/call-inline"] = FuzzOutcome.Accepted,
        ["frame/call-on-channel"] = FuzzOutcome.Accepted,
        ["frame/cancel"] = FuzzOutcome.Accepted,
        ["frame/result"] = FuzzOutcome.Accepted,
        ["frame/result-refused"] = FuzzOutcome.Accepted,
        ["frame/error"] = FuzzOutcome.Accepted,
        ["frame/two-messages"] = FuzzOutcome.Accepted,
        ["frame/header-only"] = FuzzOutcome.Refused,
        ["frame/cut-short"] = FuzzOutcome.Refused,
        ["frame/zero-length"] = FuzzOutcome.Refused,
        ["frame/negative-length"] = FuzzOutcome.Refused,
        ["frame/length-past-cap"] = FuzzOutcome.Refused,
        ["frame/not-messagepack"] = FuzzOutcome.Refused,
        ["bundle/empty-input"] = FuzzOutcome.Accepted,
        ["bundle/empty-bundle"] = FuzzOutcome.Accepted,
        ["bundle/every-kind"] = FuzzOutcome.Accepted,
        ["bundle/deepest-allowed"] = FuzzOutcome.Accepted,
        ["bundle/one-too-deep"] = FuzzOutcome.Refused,
        ["bundle/cut-short"] = FuzzOutcome.Refused,
        ["bundle/trailing-byte"] = FuzzOutcome.Refused,
        ["bundle/huge-array-header"] = FuzzOutcome.Refused,
        ["bundle/extension"] = FuzzOutcome.Refused,
        ["handshake/empty-input"] = FuzzOutcome.Refused,
        ["handshake/hello"] = FuzzOutcome.Accepted,
        ["handshake/hello-shortest-secret"] = FuzzOutcome.Accepted,
        ["handshake/hello-longest-secret"] = FuzzOutcome.Accepted,
        ["handshake/hello-secret-too-short"] = FuzzOutcome.Refused,
        ["handshake/hello-cut-short"] = FuzzOutcome.Refused,
        ["handshake/hello-bad-magic"] = FuzzOutcome.Refused,
        ["handshake/verdict-accepted"] = FuzzOutcome.Accepted,
        ["handshake/verdict-denied"] = FuzzOutcome.Refused,
        ["handshake/verdict-unknown-status"] = FuzzOutcome.Refused,
        ["handshake/verdict-message-too-long"] = FuzzOutcome.Refused,
        ["handshake/verdict-cut-short"] = FuzzOutcome.Refused,
    };

    /// <summary>Gets every corpus file as (target, path relative to the corpus root with '/' separators).</summary>
    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (string target in FuzzTargets.All.Keys.Order(StringComparer.Ordinal))
        {
            string folder = Path.Combine(CorpusRoot, target);
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(target, Path.GetRelativePath(CorpusRoot, file).Replace(Path.DirectorySeparatorChar, '/'));
            }
        }

        return data;
    }

    [Fact]
    public void EveryTargetHasItsSeedsCommitted()
    {
        foreach ((string target, IReadOnlyDictionary<string, byte[]> seeds) in SeedCorpus.Build())
        {
            Assert.True(FuzzTargets.All.ContainsKey(target), $"The seed generator writes seeds for an unknown target '{target}'.");
            foreach (string name in seeds.Keys)
            {
                Assert.True(File.Exists(Path.Combine(CorpusRoot, target, name)), $"The seed {target}/{name} is not committed: run `dotnet run --project tests/IpcBroker.Fuzzing -- seed tests/IpcBroker.Fuzzing/corpus`.");
            }
        }

        foreach (string seed in ExpectedOutcomes.Keys)
        {
            Assert.True(File.Exists(Path.Combine(CorpusRoot, seed)), $"The seed {seed} has an expected outcome but no file.");
        }
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task TargetNeitherCrashesNorHangsOnCorpusFile(string target, string file)
    {
        byte[] input = await File.ReadAllBytesAsync(Path.Combine(CorpusRoot, file), this.TimeoutToken);

        // Off the test thread and under the test's timeout, so that an input which hangs its target fails the test
        // instead of stalling the run. Any exception escaping the target is a finding, and fails the test with it.
        FuzzOutcome outcome = await this.WithTimeoutAsync(Task.Run(() => FuzzTargets.All[target](input), this.TimeoutToken));

        this.Output.WriteLine($"{file}: {outcome}");
        if (ExpectedOutcomes.TryGetValue(file, out FuzzOutcome expected))
        {
            Assert.Equal(expected, outcome);
        }
    }
}
