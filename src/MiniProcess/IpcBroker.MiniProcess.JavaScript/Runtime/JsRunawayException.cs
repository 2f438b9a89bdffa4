namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// Thrown by <see cref="JsRunLimits"/> inside a run of JavaScript that broke a bound: a plain CLR exception, so no
/// JavaScript <c>try</c>/<c>catch</c> can see it, and it ends the run.
/// </summary>
internal sealed class JsRunawayException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="JsRunawayException"/> class.</summary>
    /// <param name="reason">Why the mini program is stopped (one of <see cref="JsStopReasons"/>' texts).</param>
    public JsRunawayException(string reason)
        : base(reason)
    {
    }
}
