namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>Bounds and settings of the JavaScript mini program a mini process runs (configuration section <c>JavaScript</c>).</summary>
public sealed class JavaScriptOptions
{
    /// <summary>Gets or sets how long one run of JavaScript (the entry script, a callback, a timer) may take before the mini program is stopped as a runaway.</summary>
    public TimeSpan TaskTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the most live managed heap the process may hold (after a full collection) before the mini program is stopped.</summary>
    public long MaxHeapBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Gets or sets the most one run of JavaScript may allocate.</summary>
    public long MaxRunAllocationBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the deepest JavaScript call nesting allowed, counted per function (Jint's limit); default 5 000.
    /// Measured, the heaviest frames (a call through <c>Array.prototype.map</c> with <c>try</c>/<c>catch</c>/<c>finally</c>)
    /// take 3.5 to 6.6 KiB of native stack (more before the JIT has optimized them): 5 000 of them need at most 33 MiB, half
    /// of the quarter of the default stack that one run may use (nesting through several functions, which this limit counts
    /// apart, ends the run at that quarter).
    /// </summary>
    public int MaxRecursionDepth { get; set; } = 5_000;

    /// <summary>Gets or sets the JavaScript thread's stack size.</summary>
    public int StackSizeBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>Gets or sets how long <c>onHide</c> may run when the host stops the mini program.</summary>
    public TimeSpan HideTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Gets or sets how long a JS plugin handler may take to answer a <c>wx.invokeNativePlugin</c> call: then the call fails
    /// with errno <c>OpenApiErrno.Timeout</c>, the request's cancellation token fires, and a later answer is ignored.
    /// </summary>
    public TimeSpan NativePluginTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the most timers a mini program may have pending at once.</summary>
    public int MaxTimers { get; set; } = 10_000;
}
