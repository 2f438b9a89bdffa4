using System.Collections.Concurrent;
using IpcBroker.MiniProcess.JavaScript;
using Jint;

namespace IpcBroker.JavaScript.Tests.Wx;

/// <summary>
/// A small stand-in for the runtime's JavaScript thread: one thread, a FIFO queue, the engine's Promise jobs after each
/// item, exceptions collected instead of reported. Lets the wx tests run without the real runtime.
/// </summary>
internal sealed class TestJsThread : IJsThread, IDisposable
{
    private readonly BlockingCollection<Action> queue = [];
    private readonly Thread thread;
    private volatile bool ended;
    private int refused;

    public TestJsThread(Engine engine)
    {
        this.Engine = engine;
        this.thread = new Thread(this.Loop) { IsBackground = true, Name = "test JS thread" };
        this.thread.Start();
    }

    public Engine Engine { get; }

    /// <summary>Gets what the work items (and the mini program's callbacks in them) threw.</summary>
    public ConcurrentQueue<Exception> Errors { get; } = new();

    /// <summary>Gets how many posts were refused because the mini program had ended.</summary>
    public int Refused => Volatile.Read(ref this.refused);

    public bool IsCurrent => Thread.CurrentThread == this.thread;

    public bool Post(Action work)
    {
        if (!this.ended)
        {
            try
            {
                this.queue.Add(work);
                return true;
            }
            catch (InvalidOperationException)
            {
                // Ended between the check and the add.
            }
        }

        Interlocked.Increment(ref this.refused);
        return false;
    }

    /// <summary>Runs a function on the thread and gives its result.</summary>
    public Task<T> RunAsync<T>(Func<T> function)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!this.Post(() =>
        {
            try
            {
                done.SetResult(function());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }))
        {
            done.SetException(new InvalidOperationException("The test JS thread has ended."));
        }

        return done.Task;
    }

    /// <summary>Waits until everything posted so far ran.</summary>
    public Task FlushAsync() => this.RunAsync(() => 0);

    /// <summary>Ends the mini program: queued work is dropped, and posts are refused from now on.</summary>
    public void End()
    {
        this.ended = true;
        this.queue.CompleteAdding();
    }

    public void Dispose()
    {
        this.End();
        this.thread.Join(TimeSpan.FromSeconds(10));
        this.queue.Dispose();
    }

    private void Loop()
    {
        foreach (Action work in this.queue.GetConsumingEnumerable())
        {
            if (this.ended)
            {
                continue;
            }

            try
            {
                work();
                this.Engine.Advanced.ProcessTasks();
            }
            catch (Exception ex)
            {
                this.Errors.Enqueue(ex);
            }
        }
    }
}
