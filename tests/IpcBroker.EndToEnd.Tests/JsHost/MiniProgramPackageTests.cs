using System.Text;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.MiniPrograms;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>The host's reading of a mini program package: each rule, and what a good package becomes.</summary>
public sealed class MiniProgramPackageTests(ITestOutputHelper output) : TestBase(output)
{
    private readonly string directory = Directory.CreateTempSubdirectory("ipcbroker-package-").FullName;

    public override void Dispose()
    {
        Directory.Delete(this.directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public void AGoodPackageGivesItsAppIdEntryAndFilesWithoutHiddenOnes()
    {
        this.Write("app.json", """{ "appId": "wx-pkg", "entry": "main.js" }""");
        this.Write("main.js", "App({});");
        this.Write("lib/format.js", "module.exports = 1; // é");
        this.Write(".git/config", "hidden");
        this.Write(".editorconfig", "hidden");

        MiniProgramPackage package = MiniProgramPackage.Read(this.directory);

        Assert.Equal("wx-pkg", package.AppId);
        Assert.Equal("main.js", package.Entry);
        Assert.Equal(["app.json", "lib/format.js", "main.js"], package.Files.Select(f => f.Key));
        Assert.Equal("module.exports = 1; // é", package.Files.Single(f => f.Key == "lib/format.js").Value);
        Bundle request = package.ToLaunchRequest();
        Assert.Equal("main.js", request.GetString(MiniProgramEvents.EntryKey));
        Assert.Equal(3, request.GetBundleList(MiniProgramEvents.FilesKey)!.Count);
        Assert.Equal("lib/format.js", request.GetBundleList(MiniProgramEvents.FilesKey)![1].GetString(MiniProgramEvents.PathKey));
    }

    [Fact]
    public void TheEntryDefaultsToAppJs()
    {
        this.Write("app.json", """{ "appId": "wx-pkg" }""");
        this.Write("app.js", "App({});");

        Assert.Equal("app.js", MiniProgramPackage.Read(this.directory).Entry);
    }

    [Fact]
    public void AMissingAppJsonIsRefused() =>
        this.AssertRefused("'app.json' is missing", ("app.js", "App({});"));

    [Fact]
    public void AppJsonThatIsNotJsonIsRefused() =>
        this.AssertRefused("'app.json' is not valid JSON", ("app.json", "{ appId: "), ("app.js", ""));

    [Fact]
    public void AppJsonThatIsNotAnObjectIsRefused() =>
        this.AssertRefused("'app.json' is not a JSON object", ("app.json", "[1]"), ("app.js", ""));

    [Fact]
    public void AppJsonWithoutAStringAppIdIsRefused() =>
        this.AssertRefused("has no string \"appId\"", ("app.json", """{ "appId": 5 }"""), ("app.js", ""));

    [Fact]
    public void AnInvalidAppIdIsRefused() =>
        this.AssertRefused("is not valid", ("app.json", """{ "appId": "../x" }"""), ("app.js", ""));

    [Fact]
    public void AnEntryThatIsNotAFileOfThePackageIsRefused() =>
        this.AssertRefused("names the entry script 'main.js'", ("app.json", """{ "appId": "wx-pkg", "entry": "main.js" }"""), ("app.js", ""));

    [Fact]
    public void AnEntryOutsideThePackageIsRefused() =>
        this.AssertRefused("names the entry script '../app.js'", ("app.json", """{ "appId": "wx-pkg", "entry": "../app.js" }"""), ("app.js", ""));

    [Fact]
    public void AnEntryThatIsNotAStringIsRefused() =>
        this.AssertRefused("\"entry\" that is not a string", ("app.json", """{ "appId": "wx-pkg", "entry": 1 }"""), ("app.js", ""));

    [Fact]
    public void BadUtf8IsRefusedNamingTheFile()
    {
        this.WriteGood();
        File.WriteAllBytes(Path.Combine(this.directory, "bad.js"), [0x61, 0xC3, 0x28]);

        Assert.Contains("'bad.js' is not valid UTF-8", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void ASymbolicLinkToAFileIsRefused()
    {
        this.WriteGood();
        string secret = Path.Combine(Path.GetTempPath(), $"ipcbroker-secret-{Guid.NewGuid():N}");
        File.WriteAllText(secret, "host secret");
        try
        {
            File.CreateSymbolicLink(Path.Combine(this.directory, "secret.js"), secret);

            Assert.Contains("'secret.js' is a symbolic link", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void ASymbolicLinkToADirectoryIsRefused()
    {
        this.WriteGood();
        Directory.CreateSymbolicLink(Path.Combine(this.directory, "etc"), "/etc");

        Assert.Contains("'etc' is a symbolic link", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void ASymbolicLinkToAppJsonIsRefused()
    {
        string elsewhere = Directory.CreateTempSubdirectory("ipcbroker-elsewhere-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(elsewhere, "app.json"), """{ "appId": "wx-pkg" }""");
            this.Write("app.js", "");
            File.CreateSymbolicLink(Path.Combine(this.directory, "app.json"), Path.Combine(elsewhere, "app.json"));

            Assert.Contains("'app.json' is a symbolic link", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public void AFifoIsRefusedWithoutHanging()
    {
        this.WriteGood();
        string fifo = Path.Combine(this.directory, "pipe.js");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            Assert.True(mkfifo.WaitForExit(TimeSpan.FromSeconds(10)));
        }

        Assert.Contains("'pipe.js' is a FIFO", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void APackageOverTheByteBudgetIsRefusedAtTheFileThatCrossesIt()
    {
        this.WriteGood();
        this.Write("a.js", new string('a', (int)(MiniProgramPackage.MaxTotalBytes / 2)));
        this.Write("b.js", new string('b', (int)(MiniProgramPackage.MaxTotalBytes / 2)));

        Assert.Contains("'b.js' makes the package larger than 8 MiB", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void APackageWithTooManyEntriesIsRefused()
    {
        this.WriteGood();
        for (int i = 0; i < MiniProgramPackage.MaxEntries; i++)
        {
            this.Write($"f{i:D4}.js", string.Empty);
        }

        Assert.Contains("one entry too many", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void APackageTooDeepIsRefused()
    {
        this.WriteGood();
        this.Write(string.Join('/', Enumerable.Repeat("d", MiniProgramPackage.MaxDepth + 1)) + "/x.js", string.Empty);

        Assert.Contains("lies too deep", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory)).Message);
    }

    [Fact]
    public void AMissingDirectoryIsRefused() =>
        Assert.Contains("cannot be opened as a directory", Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(Path.Combine(this.directory, "none"))).Message);

    private void AssertRefused(string expected, params (string Path, string Text)[] files)
    {
        foreach ((string path, string text) in files)
        {
            this.Write(path, text);
        }

        MiniProgramPackageException refused = Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory));
        this.Output.WriteLine(refused.Message);
        Assert.Contains(expected, refused.Message);
    }

    private void WriteGood()
    {
        this.Write("app.json", """{ "appId": "wx-pkg" }""");
        this.Write("app.js", "App({});");
    }

    private void Write(string path, string text)
    {
        string full = Path.Combine(this.directory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text, new UTF8Encoding(false));
    }
}
