using System.Globalization;
using Jint;
using Jint.Native;
using Jint.Native.Function;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The timer globals: <c>setTimeout</c>, <c>clearTimeout</c>, <c>setInterval</c>, <c>clearInterval</c>, on the event loop's timer queue.</summary>
internal static class JsTimersGlobals
{
    /// <summary>Adds the timer globals.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="loop">The event loop whose timers they set.</param>
    /// <param name="maxTimers">The most timers pending at once (for the error's text).</param>
    public static void Install(Engine engine, JsEventLoop loop, int maxTimers)
    {
        engine.SetValue("setTimeout", new ClrFunction(engine, "setTimeout", (_, args) => Set(engine, loop, args, repeat: false, maxTimers), 2));
        engine.SetValue("setInterval", new ClrFunction(engine, "setInterval", (_, args) => Set(engine, loop, args, repeat: true, maxTimers), 2));
        engine.SetValue("clearTimeout", new ClrFunction(engine, "clearTimeout", (_, args) => Clear(loop, args), 1));
        engine.SetValue("clearInterval", new ClrFunction(engine, "clearInterval", (_, args) => Clear(loop, args), 1));
    }

    private static JsValue Set(Engine engine, JsEventLoop loop, JsValue[] args, bool repeat, int maxTimers)
    {
        if (args.Length == 0 || args[0] is not Function callback)
        {
            throw new JavaScriptException(engine.Intrinsics.TypeError, (repeat ? "setInterval" : "setTimeout") + ": the callback must be a function.");
        }

        double delay = args.Length > 1 ? TypeConverter.ToNumber(args[1]) : 0;
        long delayMs = double.IsNaN(delay) || delay < 0 ? 0 : (long)Math.Min(delay, int.MaxValue);
        JsValue[] extra = args.Length > 2 ? args[2..] : [];
        int id = loop.SetTimer(delayMs, repeat ? Math.Max(1, delayMs) : null, () => engine.Call(callback, JsValue.Undefined, extra));
        if (id == 0)
        {
            throw new JavaScriptException(engine.Intrinsics.Error, string.Create(CultureInfo.InvariantCulture, $"Too many timers: at most {maxTimers} may be pending at once."));
        }

        return id;
    }

    private static JsValue Clear(JsEventLoop loop, JsValue[] args)
    {
        if (args.Length > 0 && args[0].IsNumber() && args[0].AsNumber() is var id and >= 1 and <= int.MaxValue)
        {
            loop.ClearTimer((int)id);
        }

        return JsValue.Undefined;
    }
}
