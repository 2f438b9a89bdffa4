namespace IpcBroker.JavaScript.Tests;

public class JintSmokeTests
{
    [Fact]
    public void TheEngineEvaluates() => Assert.Equal(3, Jint.JsValueExtensions.AsNumber(new Jint.Engine().Evaluate("1 + 2")));
}
