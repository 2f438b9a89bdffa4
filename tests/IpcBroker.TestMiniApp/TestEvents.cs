namespace IpcBroker.TestMiniApp;

/// <summary>The events of the test mini app; the end-to-end tests use the same strings.</summary>
public static class TestEvents
{
    public const string Echo = "test.echo";
    public const string CallMain = "test.callMain";
    public const string Hang = "test.hang";
    public const string WhoAmI = "test.whoAmI";
    public const string Exit = "test.exit";
    public const string Count = "test.count";
    public const string WriteSandbox = "test.writeSandbox";
    public const string ListSandbox = "test.listSandbox";
    public const string DelayedEcho = "test.delayedEcho";
    public const string ArmReconnect = "test.armReconnect";
    public const string IgnoreShutdown = "test.ignoreShutdown";
    public const string SetApiLevel = "test.setApiLevel";
    public const string Trace = "test.trace";
    public const string Flood = "test.flood";
    public const string WriteLines = "test.writeLines";
    public const string Hosting = "test.hosting";
    public const string CancelHeldCall = "test.cancelHeldCall";
}
