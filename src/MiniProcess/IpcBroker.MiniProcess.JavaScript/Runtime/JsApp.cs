using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Native.Promise;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// The mini program's <c>App()</c> object on the JavaScript thread: the <c>App</c> and <c>getApp</c> globals, its
/// lifecycle callbacks, and how an uncaught error or unhandled rejection is reported (a <c>console.error</c> line, then
/// <c>onError</c> or <c>onUnhandledRejection</c>).
/// </summary>
internal sealed class JsApp
{
    private readonly Engine engine;
    private readonly IJsConsoleSink console;
    private readonly Func<Exception, string?> classify;
    private readonly List<(JsValue Promise, JsValue Reason)> rejections = [];
    private bool acceptingApp;
    private bool reporting;

    /// <summary>Initializes a new instance of the <see cref="JsApp"/> class and adds the <c>App</c> and <c>getApp</c> globals.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="console">Where errors are written.</param>
    /// <param name="classify">Says whether an exception is a runaway (which is never reported here, only passed on).</param>
    public JsApp(Engine engine, IJsConsoleSink console, Func<Exception, string?> classify)
    {
        this.engine = engine;
        this.console = console;
        this.classify = classify;
        engine.SetValue("App", new ClrFunction(engine, "App", (_, args) => this.Register(args), 1));
        engine.SetValue("getApp", new ClrFunction(engine, "getApp", (_, _) => this.Object ?? JsValue.Undefined, 0));
        engine.Advanced.PromiseRejectionTracker += this.OnRejectionTracked;
    }

    /// <summary>Gets the object given to <c>App()</c>, or null before.</summary>
    public ObjectInstance? Object { get; private set; }

    /// <summary>Runs <paramref name="entry"/> (the entry script) as the one time <c>App()</c> may be called.</summary>
    /// <param name="entry">Runs the entry script.</param>
    public void RunEntry(Action entry)
    {
        this.acceptingApp = true;
        try
        {
            entry();
        }
        finally
        {
            this.acceptingApp = false;
        }
    }

    /// <summary>Calls a lifecycle callback when the app has it; an exception it throws goes to the caller.</summary>
    /// <param name="name">The callback, such as <c>onLaunch</c>.</param>
    /// <param name="args">Its arguments.</param>
    public void Call(string name, params JsValue[] args)
    {
        if (this.Object is { } app && app.Get(name) is Function callback)
        {
            this.engine.Call(callback, app, args);
        }
    }

    /// <summary>Reports an uncaught error: a <c>console.error</c> line, then the app's <c>onError(message)</c>.</summary>
    /// <param name="exception">What was thrown.</param>
    public void ReportError(Exception exception)
    {
        string message = exception switch
        {
            JavaScriptException { Error: ObjectInstance error } => JsConsole.ErrorText(error),
            JavaScriptException js => "Uncaught " + JsConsole.FormatOne(this.engine, js.Error),
            _ => exception.GetType().Name + ": " + exception.Message,
        };
        this.console.Write("error", message);
        this.Notify("onError", message);
    }

    /// <summary>Reports the rejections no handler took by the end of a turn: a <c>console.error</c> line each, then <c>onUnhandledRejection({reason, promise})</c> or, without it, <c>onError</c>.</summary>
    public void ReportRejections()
    {
        if (this.rejections.Count == 0)
        {
            return;
        }

        (JsValue Promise, JsValue Reason)[] unhandled = [.. this.rejections];
        this.rejections.Clear();
        foreach ((JsValue promise, JsValue reason) in unhandled)
        {
            string text = "Unhandled promise rejection: " + (reason is ObjectInstance { } o && o.Get("message") is JsString ? JsConsole.ErrorText(o) : JsConsole.FormatOne(this.engine, reason));
            this.console.Write("error", text);
            if (this.Object?.Get("onUnhandledRejection") is Function)
            {
                var arg = new JsObject(this.engine);
                arg.Set("reason", reason);
                arg.Set("promise", promise);
                this.Notify("onUnhandledRejection", arg);
            }
            else
            {
                this.Notify("onError", text);
            }
        }
    }

    private void OnRejectionTracked(object? sender, PromiseRejectionTrackerEventArgs e)
    {
        if (e.Operation == PromiseRejectionOperation.Reject)
        {
            this.rejections.Add((e.Promise, e.Value ?? JsValue.Undefined));
        }
        else
        {
            this.rejections.RemoveAll(r => ReferenceEquals(r.Promise, e.Promise));
        }
    }

    /// <summary>Calls an error callback; an error it throws itself is written, never reported again (no loop).</summary>
    private void Notify(string callback, JsValue arg)
    {
        if (this.reporting)
        {
            return;
        }

        this.reporting = true;
        try
        {
            this.Call(callback, arg);
        }
        catch (Exception ex) when (this.classify(ex) is null)
        {
            this.console.Write("error", "App." + callback + " threw: " + (ex is JavaScriptException { Error: ObjectInstance e } ? JsConsole.ErrorText(e) : ex.Message));
        }
        finally
        {
            this.reporting = false;
        }
    }

    private JsValue Register(JsValue[] args)
    {
        if (!this.acceptingApp)
        {
            throw new JavaScriptException(this.engine.Intrinsics.Error, "App() may be called only by the entry script, while it runs.");
        }

        if (this.Object is not null)
        {
            throw new JavaScriptException(this.engine.Intrinsics.Error, "App() was called already: a mini program has one App.");
        }

        this.Object = args.Length > 0 && args[0] is ObjectInstance app ? app : throw new JavaScriptException(this.engine.Intrinsics.TypeError, "App(options): options must be an object.");
        return JsValue.Undefined;
    }
}
