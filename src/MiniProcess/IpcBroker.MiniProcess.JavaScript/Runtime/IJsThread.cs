namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The mini program's one JavaScript thread: every touch of its engine happens there.</summary>
internal interface IJsThread
{
    /// <summary>Gets a value indicating whether the caller runs on the JavaScript thread.</summary>
    bool IsCurrent { get; }

    /// <summary>
    /// Queues <paramref name="work"/> to run on the JavaScript thread after what is already queued, then the engine's
    /// pending Promise jobs. Never runs it inline and never blocks. An exception the work throws is reported as the mini
    /// program's error (console and <c>App.onError</c>), never crashes the process.
    /// </summary>
    /// <param name="work">The work; it may call into the engine.</param>
    /// <returns>False when the mini program has ended: the work is dropped.</returns>
    bool Post(Action work);
}
