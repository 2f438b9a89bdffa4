using IpcBroker.MiniProcess.JavaScript;
using IpcBroker.Tests;
using Jint;
using Jint.Runtime;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>
/// How much native stack one JavaScript call takes, for choosing <see cref="JavaScriptOptions.MaxRecursionDepth"/>: each
/// kind of frame recurses on a thread of a known stack until Jint's stack guard stops it, and bytes per frame is the
/// stack over the depth reached. The default depth times the heaviest frame must stay well inside the default stack.
/// </summary>
public class JsStackDepthTests(ITestOutputHelper output) : TestBase(output)
{
    private const int MeasuringStack = 16 * 1024 * 1024;

    public static TheoryData<string, string> Frames => new()
    {
        { "plain call", "function f(n) { depth = n; return f(n + 1) + 1; } f(1);" },
        { "many locals and arguments", "function f(n, a, b, c, d, e) { depth = n; let x1 = a + 1, x2 = b + 2, x3 = c + 3, x4 = d + 4, x5 = e + 5; return f(n + 1, x1, x2, x3, x4, x5) + x1; } f(1, 1, 2, 3, 4, 5);" },
        { "through Array.map", "function f(n) { depth = n; return [n].map(x => f(x + 1))[0]; } f(1);" },
        { "through a getter", "const o = { n: 1, get deep() { depth = this.n++; return this.deep; } }; o.deep;" },
        { "through JSON.stringify toJSON", "function f(n) { depth = n; return JSON.stringify({ toJSON() { return f(n + 1); } }); } f(1);" },
        { "constructor", "class C { constructor(n) { depth = n; this.c = new C(n + 1); } } new C(1);" },
        { "spread and closures", "function f(n, ...rest) { depth = n; const g = () => f(n + 1, ...rest); return g(); } f(1, 'a', 'b', 'c');" },
        { "try/finally", "function f(n) { depth = n; try { return f(n + 1); } finally { depth = depth; } } f(1);" },
        { "map with try/catch/finally", "function f(n) { depth = n; try { return [n].map(x => { try { return f(x + 1); } catch (e) { throw e; } finally { n++; } })[0]; } catch (e) { throw e; } finally { n--; } } f(1);" },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public async Task TheDefaultDepthOfTheHeaviestFrameFitsTheDefaultStack(string kind, string code)
    {
        int depth = 0;
        string? error = null;
        var thread = new Thread(
            () =>
            {
                var engine = new Engine(o => o.Constraints.StackOverflowGuard = true);
                engine.SetValue("depth", 0);
                try
                {
                    engine.Execute(code);
                }
                catch (JavaScriptException ex)
                {
                    error = ex.Message;
                }

                depth = (int)engine.GetValue("depth").AsNumber();
            },
            MeasuringStack);
        thread.Start();
        await this.WithTimeoutAsync(Task.Run(thread.Join));

        var defaults = new JavaScriptOptions();
        double bytesPerFrame = (double)MeasuringStack / depth;
        double neededAtDefault = bytesPerFrame * defaults.MaxRecursionDepth;
        this.Output.WriteLine($"{kind}: depth {depth} on {MeasuringStack >> 20} MiB ({error}); {bytesPerFrame:0} bytes per frame; {defaults.MaxRecursionDepth} frames need {neededAtDefault / (1 << 20):0.0} MiB of the {defaults.StackSizeBytes >> 20} MiB stack");
        Assert.Contains("call stack", error, StringComparison.OrdinalIgnoreCase);
        Assert.True(neededAtDefault * 4 < defaults.StackSizeBytes, $"{kind}: {defaults.MaxRecursionDepth} frames of {bytesPerFrame:0} bytes do not fit a quarter of the stack.");
    }
}
