namespace IpcBroker.MiniProcess.JavaScript;

/// <summary>
/// What a handler returns after <see cref="JsPluginRequest.OkSync"/>: a reminder in the signature that the answer was
/// given synchronously, so <c>wx.invokeNativePlugin</c> returns it to the mini program at once.
/// </summary>
public sealed class JsSyncAnswer
{
    internal static readonly JsSyncAnswer Instance = new();

    private JsSyncAnswer()
    {
    }
}
