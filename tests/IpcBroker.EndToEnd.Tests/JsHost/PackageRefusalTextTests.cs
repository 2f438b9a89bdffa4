using System.Text;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>
/// A refusal's message names what the package holds; a hostile package's names and app.json values must not carry terminal
/// escapes into it (the message goes to the host's log, the CLI's output and <c>open --package</c>'s error).
/// </summary>
public sealed class PackageRefusalTextTests(ITestOutputHelper output) : TestBase(output)
{
    private const string Escape = "\u001b]0;owned\u0007\u001b[2J";

    private readonly string directory = Directory.CreateTempSubdirectory("ipcbroker-package-text-").FullName;

    public override void Dispose()
    {
        Directory.Delete(this.directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public void AFileNameWithATerminalEscapeIsRefusedWithoutTheEscape()
    {
        this.Write("app.json", """{ "appId": "wx-pkg" }""");
        this.Write("app.js", "App({});");
        this.Write($"a{Escape}.js", string.Empty);

        AssertPrintable(Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void AnAppIdWithATerminalEscapeIsRefusedWithoutTheEscape()
    {
        this.Write("app.json", $$"""{ "appId": "wx\u001b]0;owned\u0007\u001b[2J" }""");
        this.Write("app.js", "App({});");

        AssertPrintable(Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void AnEntryWithATerminalEscapeIsRefusedWithoutTheEscape()
    {
        this.Write("app.json", """{ "appId": "wx-pkg", "entry": "main\u001b]0;owned\u0007\u001b[2J.js" }""");
        this.Write("app.js", "App({});");

        AssertPrintable(Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    private void AssertPrintable(string message)
    {
        this.Output.WriteLine(message.Replace("\u001b", "<ESC>", StringComparison.Ordinal));
        Assert.DoesNotContain(message, char.IsControl);
    }

    private void Write(string path, string text) =>
        File.WriteAllText(Path.Combine(this.directory, path), text, new UTF8Encoding(false));
}
