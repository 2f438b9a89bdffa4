using IpcBroker.Tests;

namespace IpcBroker.JavaScript.Tests.Runtime;

/// <summary>
/// Recursion that runs through Jint's native code only (no JavaScript frame between levels), so that neither the
/// recursion limit nor the constraint's stack check sees it: it must end the mini program with a reason, never the process.
/// </summary>
public class JsNativeRecursionTests(ITestOutputHelper output) : TestBase(output)
{
    [Theory]
    [InlineData("json-stringify", "let a = []; for (let i = 0; i < 1000000; i++) { a = [a]; } JSON.stringify(a);")]
    [InlineData("array-join", "let a = []; for (let i = 0; i < 1000000; i++) { a = [a]; } String(a);")]
    [InlineData("proxy-get-200k", "let p = {}; for (let i = 0; i < 200000; i++) { p = new Proxy(p, {}); } p.x;")]
    [InlineData("bind-200k", "let f = function () { return 1; }; for (let i = 0; i < 200000; i++) { f = f.bind(null); } f();")]
    [InlineData("proto-proxy", "let p = {}; for (let i = 0; i < 200000; i++) { p = Object.create(new Proxy(p, {})); } p.x;")]
    [InlineData("proxy-has", "let p = {}; for (let i = 0; i < 200000; i++) { p = new Proxy(p, {}); } 'x' in p;")]
    [InlineData("proxy-set", "let p = {}; for (let i = 0; i < 200000; i++) { p = new Proxy(p, {}); } p.x = 1;")]
    [InlineData("proxy-keys", "let p = {}; for (let i = 0; i < 200000; i++) { p = new Proxy(p, {}); } Object.keys(p);")]
    [InlineData("proxy-call", "let p = function () {}; for (let i = 0; i < 200000; i++) { p = new Proxy(p, {}); } p();")]
    [InlineData("bound-construct", "let f = function () {}; for (let i = 0; i < 200000; i++) { f = f.bind(null); } new f();")]
    [InlineData("regex-deep", "new RegExp('('.repeat(100000) + ')'.repeat(100000)).test('x');")]
    [InlineData("structured-clone-ish", "let a = {}; for (let i = 0; i < 300000; i++) { a = { a }; } Object.entries(a); JSON.stringify(a, (k, v) => v);")]
    [InlineData("flat", "let a = []; for (let i = 0; i < 300000; i++) { a = [a]; } a.flat(Infinity);")]
    [InlineData("tostring-cycle-deep", "let a = []; for (let i = 0; i < 300000; i++) { a = [a]; } a.toLocaleString();")]
    [InlineData("promise-never-yields", "function loop() { return Promise.resolve().then(loop); } loop();")]
    [InlineData("repeat-huge", "'x'.repeat(2 ** 30);")]
    [InlineData("padstart-huge", "''.padStart(2 ** 30, 'ab');")]
    [InlineData("array-2-31", "const a = new Array(2 ** 31); a.fill(0);")]
    [InlineData("array-buffer-huge", "new Uint8Array(2 ** 31 - 1).fill(1);")]
    [InlineData("string-concat-doubling", "let s = 'x'; for (;;) { s = s + s; }")]
    [InlineData("sort-hostile", "const a = Array.from({ length: 100000 }, (_, i) => i); a.sort(() => { for (;;) {} });")]
    [InlineData("regex-backtracking", "/^(a+)+$/.test('a'.repeat(40) + 'b');")]
    [InlineData("json-parse", "JSON.parse('['.repeat(1000000) + ']'.repeat(1000000));")]
    public async Task NativeRecursionEndsTheMiniProgramWithAReasonNotTheProcess(string kind, string code)
    {
        // A small stack, so that the native recursion reaches its end quickly; the runtime claims no stack size lets JS overflow it.
        using var runtime = new JsTestRuntime(this.LoggerFactory, o => (o.TaskTimeout, o.StackSizeBytes, o.MaxRunAllocationBytes) = (TimeSpan.FromSeconds(3), 16 * 1024 * 1024, 1L << 30));
        string? launch = await this.WithTimeoutAsync(runtime.LaunchAsync("App({ onLaunch() { try { " + code + " } catch (e) { console.log('caught ' + e); } console.log('survived'); } });"));
        this.Output.WriteLine($"{kind}: launch {launch ?? "ok"}; runaways {runtime.Failure.Count}; console {string.Join(" | ", runtime.Console.Texts)}");

        // Either the program survived (the engine refused the depth with a catchable error), or the launch ended with a
        // reason: a runaway's, or — when the machine is so loaded that the native work outlasts the launch's own answer
        // deadline (2 x TaskTimeout + 1 s) before any constraint is checked — the runtime's "did not finish launching",
        // after which the host stops the process. What must never happen is the end of this (test) process.
        Assert.True(
            launch is null
                ? runtime.Console.Texts.Contains("survived")
                : launch.StartsWith("JavaScript stopped: ", StringComparison.Ordinal) || launch.Contains("did not finish launching", StringComparison.Ordinal),
            launch);
    }
}
