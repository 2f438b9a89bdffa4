using Jint;
using Jint.Native;
using Jint.Native.Object;

namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>The shapes WeChat gives a mini program: <c>res</c> with <c>errMsg: "api:ok"</c>, <c>err</c> with <c>errMsg: "api:fail message"</c> and <c>errno</c>.</summary>
/// <remarks>JavaScript thread only.</remarks>
internal static class WxResults
{
    /// <summary>Adds <c>errMsg: "&lt;api&gt;:ok"</c> to the result's data.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="api">The API's name, without <c>wx.</c>.</param>
    /// <param name="data">The result's data fields; anything but an object gives a result with <c>errMsg</c> alone.</param>
    /// <returns><c>res</c>.</returns>
    public static ObjectInstance Ok(Engine engine, string api, JsValue data)
    {
        ObjectInstance res = data as ObjectInstance ?? new JsObject(engine);
        res.Set("errMsg", api + ":ok");
        return res;
    }

    /// <summary>Makes <c>{errMsg: "&lt;api&gt;:fail &lt;message&gt;", errno}</c>.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="api">The API's name, without <c>wx.</c>.</param>
    /// <param name="message">Why; null or empty for none.</param>
    /// <param name="errno">The error number.</param>
    /// <returns><c>err</c>.</returns>
    public static ObjectInstance Fail(Engine engine, string api, string? message, int errno)
    {
        var err = new JsObject(engine);
        err.Set("errMsg", string.IsNullOrEmpty(message) ? api + ":fail" : api + ":fail " + message);
        err.Set("errno", errno);
        return err;
    }
}
