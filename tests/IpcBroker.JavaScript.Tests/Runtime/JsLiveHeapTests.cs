using System.Text;
using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>
/// The live-heap bound, which reads the whole process's heap: in this test process that heap is shared by every test
/// running at once (some allocate hundreds of MiB on purpose), so these tests run alone, after the others, and every other
/// test's runtime has no heap bound to speak of (see <see cref="JsTestRuntime"/>).
/// </summary>
[Collection(LiveHeapCollection.Name)]
public class JsLiveHeapTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task SlowAllocationAcrossManyTimersIsStoppedByTheLiveHeapBound()
    {
        // Each timer run allocates far below the per-run bound; only the live heap grows. The bound is set above what the
        // process holds now, so only what the mini program keeps can cross it.
        long live = GC.GetTotalMemory(forceFullCollection: true);
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.MaxHeapBytes = live + (64L * 1024 * 1024));
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            const keep = [];
            App({ onLaunch() { setInterval(() => { try { keep.push(new Array(20000).fill(0).map(() => ({ v: Math.random() }))); } catch (e) { console.log('swallowed'); } }, 1); } });
            """)));
        string reason = await this.WithTimeoutAsync(runtime.Failure.Reason);
        this.Output.WriteLine($"stopped: {reason}");
        Assert.StartsWith("JavaScript stopped: the live heap", reason, StringComparison.Ordinal);
        Assert.Contains("heap", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("swallowed", runtime.Console.Texts);
    }

    [Fact]
    public async Task GarbageDoesNotCountAgainstTheLiveHeapBound()
    {
        // 100 runs of about 2 MB of garbage each: three times the bound in all. The work is CPU-bound in Jint, and on a
        // loaded two-core machine it takes far longer than usual: only the test's own (extended) deadline bounds it.
        this.ExtendTimeout(TimeSpan.FromMinutes(2));
        long live = GC.GetTotalMemory(forceFullCollection: true);
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => o.MaxHeapBytes = live + (64L * 1024 * 1024));
        Assert.Null(await this.WithTimeoutAsync(runtime.LaunchAsync("""
            let runs = 0;
            App({ onLaunch() { const t = setInterval(() => { new Array(20000).fill(0).map(() => ({ v: Math.random() })); if (++runs === 100) { clearInterval(t); console.log('done'); } }, 0); } });
            """)));
        await this.WithTimeoutAsync(runtime.Console.WaitForTextAsync("done"));
        Assert.Equal(0, runtime.Failure.Count);
    }
}

/// <summary>Tests that read the process's live heap: never run in parallel with any other test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveHeapCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Live heap (runs alone)";
}
