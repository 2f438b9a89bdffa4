using System.Text.RegularExpressions;
using Jint;
using Jint.Runtime;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Runs one turn of the event loop under the limits: the work, then the engine's pending Promise jobs, then the unhandled
/// rejections they left; an uncaught error is reported, a runaway (time, heap, recursion) is fatal.
/// </summary>
internal sealed class JsRunGuard
{
    /// <summary>How many times the Promise jobs are drained after one work item when reporting errors adds more.</summary>
    private const int MaxDrains = 4;

    private readonly JavaScriptOptions options;
    private readonly JsRunLimits limits;
    private readonly JsHeapWatchdog watchdog;
    private readonly Action<string> onRunaway;
    private string? runaway;

    /// <summary>Initializes a new instance of the <see cref="JsRunGuard"/> class.</summary>
    /// <param name="options">The bounds.</param>
    /// <param name="limits">The run's time and heap constraint (registered with the engine).</param>
    /// <param name="watchdog">The heap watchdog.</param>
    /// <param name="onRunaway">Told once, on the JavaScript thread, when a run was a runaway.</param>
    public JsRunGuard(JavaScriptOptions options, JsRunLimits limits, JsHeapWatchdog watchdog, Action<string> onRunaway)
    {
        this.options = options;
        this.limits = limits;
        this.watchdog = watchdog;
        this.onRunaway = onRunaway;
    }

    /// <summary>Gets the run's time and heap constraint, to register with the engine.</summary>
    public JsRunLimits Limits => this.limits;

    /// <summary>Gets or sets the engine whose Promise jobs run after each turn (null until it is built).</summary>
    public Engine? Engine { get; set; }

    /// <summary>Gets or sets what reports an uncaught error (console.error and App.onError); null before the runtime is up.</summary>
    public Action<Exception>? ReportError { get; set; }

    /// <summary>Gets or sets what reports the unhandled rejections a turn left, after its jobs ran; null for none.</summary>
    public Action? ReportRejections { get; set; }

    /// <summary>Gets the runaway's reason once there was one.</summary>
    public string? Runaway => Volatile.Read(ref this.runaway);

    /// <summary>Runs one turn.</summary>
    /// <param name="work">The work item or timer.</param>
    /// <returns>False when the mini program must end (a runaway).</returns>
    public bool Run(Action work)
    {
        if (this.Runaway is not null)
        {
            return false;
        }

        string? reason = null;
        this.limits.BeginRun();
        try
        {
            this.RunReporting(work);
            for (int i = 0; i < MaxDrains && this.Engine is { } engine; i++)
            {
                this.RunReporting(engine.Advanced.ProcessTasks);
                if (this.ReportRejections is not { } report)
                {
                    break;
                }

                this.RunReporting(report);
            }
        }
        catch (Exception ex) when (this.Classify(ex) is { } why)
        {
            reason = why;
        }
        finally
        {
            this.limits.EndRun();
        }

        reason ??= this.watchdog.Check();
        if (reason is null)
        {
            return true;
        }

        if (Interlocked.CompareExchange(ref this.runaway, reason, null) is null)
        {
            this.onRunaway(reason);
        }

        return false;
    }

    /// <summary>Says whether an exception is a runaway, and why; null for an ordinary error.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>The reason, or null.</returns>
    public string? Classify(Exception exception) => exception switch
    {
        JsRunawayException runaway => runaway.Message,
        MemoryLimitExceededException or OutOfMemoryException => JsStopReasons.RunAllocation(this.options.MaxRunAllocationBytes),
        RecursionDepthOverflowException => JsStopReasons.Recursion(this.options.MaxRecursionDepth),
        InsufficientExecutionStackException => JsStopReasons.Nesting(),

        // Jint refuses source nested past its own depth (256 levels of arrays or objects) before it runs: the same runaway.
        ScriptPreparationException when exception.Message.Contains("nesting", StringComparison.OrdinalIgnoreCase) => JsStopReasons.Nesting(),
        RegexMatchTimeoutException => JsStopReasons.WithoutYielding(this.options.TaskTimeout),
        _ => null,
    };

    private void RunReporting(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (this.Classify(ex) is null)
        {
            if (this.ReportError is { } report)
            {
                report(ex);
            }
        }
    }
}
