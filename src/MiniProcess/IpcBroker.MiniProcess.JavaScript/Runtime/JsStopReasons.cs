using System.Globalization;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The texts of a runaway mini program's exit reason (the contract's words: <c>without yielding</c>, <c>heap</c>, <c>recursion</c>).</summary>
internal static class JsStopReasons
{
    /// <summary>What every reason starts with.</summary>
    public const string Prefix = "JavaScript stopped: ";

    /// <summary>A run longer than the task timeout.</summary>
    /// <param name="timeout">The task timeout.</param>
    /// <returns>The reason.</returns>
    public static string WithoutYielding(TimeSpan timeout) =>
        Prefix + string.Create(CultureInfo.InvariantCulture, $"it ran {timeout.TotalSeconds:0.###} s without yielding (an endless loop?)");

    /// <summary>The live heap above its bound.</summary>
    /// <param name="liveBytes">The live heap after a full collection.</param>
    /// <param name="maxBytes">The bound.</param>
    /// <returns>The reason.</returns>
    /// <remarks>In bytes, with mebibytes to one decimal for the reader: the two numbers differ whenever the sizes do.</remarks>
    public static string Heap(long liveBytes, long maxBytes) =>
        Prefix + string.Create(CultureInfo.InvariantCulture, $"the live heap grew to {liveBytes} bytes ({liveBytes / (1024.0 * 1024):0.0} MiB), above its {maxBytes} bytes ({maxBytes / (1024.0 * 1024):0.0} MiB) bound");

    /// <summary>One run allocated more than its bound.</summary>
    /// <param name="maxBytes">The bound.</param>
    /// <returns>The reason.</returns>
    public static string RunAllocation(long maxBytes) =>
        Prefix + string.Create(CultureInfo.InvariantCulture, $"one run allocated more than {maxBytes / (1024 * 1024)} MiB of heap");

    /// <summary>Calls nested deeper than the bound.</summary>
    /// <param name="maxDepth">The bound.</param>
    /// <returns>The reason.</returns>
    public static string Recursion(int maxDepth) =>
        Prefix + string.Create(CultureInfo.InvariantCulture, $"recursion deeper than {maxDepth} calls");

    /// <summary>Calls nested so deep (through several functions) that they used the run's share of the stack.</summary>
    /// <param name="budgetBytes">The share.</param>
    /// <returns>The reason.</returns>
    public static string StackBudget(long budgetBytes) =>
        Prefix + string.Create(CultureInfo.InvariantCulture, $"recursion used more than {budgetBytes / (1024 * 1024)} MiB of the JavaScript thread's stack");

    /// <summary>Source or an expression nested deeper than the JavaScript thread's stack allows.</summary>
    /// <returns>The reason.</returns>
    public static string Nesting() => Prefix + "the code nests too deeply for the JavaScript thread's stack (recursion)";
}
