using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Native.Object;
using Jint.Native.Promise;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// How one <c>wx.*</c> call answers its caller, WeChat's way: <c>success</c>/<c>fail</c> then <c>complete</c> when the
/// options object has any of them, else a Promise that resolves to the result or rejects with the error.
/// </summary>
/// <remarks>Made and settled on the JavaScript thread only; <see cref="Settle"/> is called at most once by its owner.</remarks>
internal sealed class WxReply
{
    private readonly Engine engine;
    private readonly Function? success;
    private readonly Function? fail;
    private readonly Function? complete;
    private readonly ManualPromise? promise;

    private WxReply(Engine engine, Function? success, Function? fail, Function? complete, ManualPromise? promise)
    {
        this.engine = engine;
        this.success = success;
        this.fail = fail;
        this.complete = complete;
        this.promise = promise;
    }

    /// <summary>Gets what the call returns to JavaScript: the Promise, or undefined in callback style.</summary>
    public JsValue Returned => this.promise?.Promise ?? JsValue.Undefined;

    /// <summary>Reads the callbacks of <paramref name="options"/>, or makes a Promise when it has none.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="options">The call's first argument.</param>
    /// <returns>The reply.</returns>
    public static WxReply For(Engine engine, JsValue options)
    {
        if (options is ObjectInstance o)
        {
            Function? success = o.Get("success") as Function;
            Function? fail = o.Get("fail") as Function;
            Function? complete = o.Get("complete") as Function;
            if (success is not null || fail is not null || complete is not null)
            {
                return new WxReply(engine, success, fail, complete, null);
            }
        }

        return new WxReply(engine, null, null, null, engine.Advanced.RegisterPromise());
    }

    /// <summary>Runs <c>success</c> or <c>fail</c> then <c>complete</c>, or settles the Promise.</summary>
    /// <param name="ok">Whether the call succeeded.</param>
    /// <param name="value">The result (success) or the error object (failure).</param>
    /// <remarks>
    /// An exception a callback throws goes to the JavaScript thread's error reporting; <c>complete</c> still runs after
    /// a throwing <c>success</c>/<c>fail</c>, as WeChat's base library does.
    /// </remarks>
    public void Settle(bool ok, JsValue value)
    {
        if (this.promise is { } p)
        {
            if (ok)
            {
                p.Resolve(value);
            }
            else
            {
                p.Reject(value);
            }

            return;
        }

        try
        {
            if ((ok ? this.success : this.fail) is { } callback)
            {
                this.engine.Call(callback, JsValue.Undefined, [value]);
            }
        }
        finally
        {
            if (this.complete is not null)
            {
                this.engine.Call(this.complete, JsValue.Undefined, [value]);
            }
        }
    }
}
