using System.Globalization;
using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Error;
using Jint.Native.Function;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Interop;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The mini program's <c>console</c>: each call is one line to the <see cref="IJsConsoleSink"/>.</summary>
internal static class JsConsole
{
    /// <summary>The console methods, which are also the line's level.</summary>
    public static readonly string[] Levels = ["log", "info", "warn", "error", "debug"];

    /// <summary>Adds the <c>console</c> global.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="sink">Where the lines go.</param>
    public static void Install(Engine engine, IJsConsoleSink sink)
    {
        var console = new JsObject(engine);
        foreach (string level in Levels)
        {
            console.Set(level, new ClrFunction(engine, level, (_, args) =>
            {
                sink.Write(level, Format(engine, args));
                return JsValue.Undefined;
            }));
        }

        engine.SetValue("console", console);
    }

    /// <summary>Formats console arguments: strings as they are, errors as their name and message, other objects as JSON where possible, joined by spaces.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>The text.</returns>
    public static string Format(Engine engine, JsValue[] args)
    {
        var text = new StringBuilder();
        foreach (JsValue arg in args)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(FormatOne(engine, arg));
        }

        return text.ToString();
    }

    /// <summary>Formats one value as <see cref="Format"/> does.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string FormatOne(Engine engine, JsValue value)
    {
        switch (value)
        {
            case JsString:
                return value.ToString();
            case ErrorInstance error:
                return ErrorText(error);
            case Function function:
                return "[Function " + (function.Get("name") is JsString { Length: > 0 } name ? name.ToString() : "(anonymous)") + "]";
            case ObjectInstance:
                try
                {
                    JsValue json = new JsonSerializer(engine).Serialize(value, JsValue.Undefined, JsValue.Undefined);
                    return json.IsUndefined() ? value.ToString() : json.ToString();
                }
                catch (JavaScriptException)
                {
                    // A cycle, or a toJSON that throws: the object's own string.
                    return SafeToString(value);
                }

            default:
                return value.IsNumber() ? value.AsNumber().ToString(CultureInfo.InvariantCulture) : value.ToString();
        }
    }

    /// <summary>Describes an error: its name and message, then its JavaScript stack when it has one.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The text.</returns>
    public static string ErrorText(ObjectInstance error)
    {
        string name = error.Get("name") is JsString n ? n.ToString() : "Error";
        string message = error.Get("message") is JsString m ? m.ToString() : string.Empty;
        string head = message.Length == 0 ? name : name + ": " + message;
        return error.Get("stack") is JsString { Length: > 0 } stack && !stack.ToString().StartsWith(head, StringComparison.Ordinal)
            ? head + "\n" + stack
            : error.Get("stack") is JsString { Length: > 0 } full ? full.ToString() : head;
    }

    private static string SafeToString(JsValue value)
    {
        try
        {
            return value.ToString();
        }
        catch (JavaScriptException)
        {
            return "[object]";
        }
    }
}
