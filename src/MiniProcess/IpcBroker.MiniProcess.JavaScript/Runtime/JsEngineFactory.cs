using Jint;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Creates the mini program's engine with its bounds; call on the JavaScript thread.</summary>
internal static class JsEngineFactory
{
    /// <summary>Creates the engine.</summary>
    /// <param name="options">The bounds.</param>
    /// <param name="limits">The run's time and heap constraint.</param>
    /// <returns>The engine.</returns>
    public static Engine Create(JavaScriptOptions options, JsRunLimits limits) => new(o =>
    {
        o.Constraint(limits);
        o.LimitMemory(options.MaxRunAllocationBytes);
        o.LimitRecursion(options.MaxRecursionDepth);

        // The backstop for recursion the depth limit does not count (through native callbacks): a catchable RangeError
        // while stack is left, never a native stack overflow that would end the process.
        o.Constraints.StackOverflowGuard = true;
        o.Constraints.RegexTimeout = options.TaskTimeout;

        // As in WeChat: no eval, no new Function(string): all code is the package's, parsed before it runs.
        o.DisableStringCompilation();
    });
}
