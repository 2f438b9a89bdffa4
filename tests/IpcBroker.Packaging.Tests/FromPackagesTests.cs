using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using IpcBroker.Tests;

namespace IpcBroker.Packaging.Tests;

/// <summary>
/// Proof from the packages alone: packs a copy of the repository's sources into a local folder, then builds and runs, with
/// no project references, a host app and a mini executable (tests/packaging), a plugin author's test project on the
/// testing kit, and the tool — each taking the packages as a user would.
/// </summary>
public sealed class FromPackagesTests : TestBase
{
    private static readonly string[] PackageIds =
    [
        "IpcBroker", "IpcBroker.OpenApi", "IpcBroker.MainProcess", "IpcBroker.MainProcess.OpenApi", "IpcBroker.MiniProcess",
        "IpcBroker.MiniProcess.OpenApi", "IpcBroker.MiniProcess.JavaScript", "IpcBroker.Testing", "IpcBroker.Tool",
    ];

    private static readonly string RepositoryRoot = Path.GetFullPath(typeof(FromPackagesTests).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!);

    private readonly string work = Path.Combine(Path.GetTempPath(), "ipcbroker-packaging-" + Guid.NewGuid().ToString("N")[..12]);

    // Unique per run, so the global packages folder never serves a copy packed by an earlier run.
    private readonly string version = "0.10.0-test." + DateTime.UtcNow.Ticks;

    // The pipe name of the compiler server the children's builds share; ended by pid when the test ends.
    private readonly string compilerServerId = "ipcbpkg" + Guid.NewGuid().ToString("N")[..12];

    public FromPackagesTests(ITestOutputHelper output)
        : base(output)
    {
        this.ExtendTimeout(TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task HostMiniKitAndToolWorkFromThePackagesAlone()
    {
        var clock = Stopwatch.StartNew();
        string repo = Path.Combine(this.work, "repo");
        string feed = Path.Combine(this.work, "feed");
        string user = Path.Combine(this.work, "user");
        this.CopySources(repo);
        CopyDirectory(Path.Combine(RepositoryRoot, "tests", "packaging"), user);

        // Pack: exactly one package per library plus the tool.
        await this.RunOkAsync(ChildProcess.Dotnet, ["new", "sln", "-n", "Packages"], repo, TimeSpan.FromMinutes(1));
        string[] projects = Directory.GetFiles(Path.Combine(repo, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => File.ReadAllText(p).Contains("<IsPackable>true</IsPackable>", StringComparison.Ordinal)).ToArray();
        await this.RunOkAsync(ChildProcess.Dotnet, ["sln", "add", .. projects], repo, TimeSpan.FromMinutes(1));
        await this.RunOkAsync(ChildProcess.Dotnet, ["pack", "-c", "Release", "-o", feed, $"-p:Version={this.version}", "-nologo",
            // The repository's own build runs the analyzers and precompiles the sample mini (ReadyToRun, checked by the
            // end-to-end tests); here they would only slow the packing down.
            "-p:RunAnalyzers=false", "-p:EnforceCodeStyleInBuild=false", "-p:IpcBrokerReadyToRunBuildOutput=false"], repo, TimeSpan.FromMinutes(5));
        Assert.Equal(
            PackageIds.Select(id => $"{id}.{this.version}.nupkg").Order(StringComparer.Ordinal),
            Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        AssertSiblingDependenciesArePinned(feed, this.version);

        this.WriteNuGetConfig(user, feed);
        string[] version = [$"-p:IpcBrokerVersion={this.version}"];

        // (a) + (b): the host app, published (launcher/ and mini/ from the packages beside it), starts the mini; calls go both ways.
        string publish = Path.Combine(this.work, "host");
        await this.RunOkAsync(ChildProcess.Dotnet, ["publish", "SampleHost/SampleHost.csproj", "-o", publish, "-nologo", .. version], user, TimeSpan.FromMinutes(4));
        Assert.True(File.Exists(Path.Combine(user, "SampleHost", "bin", "Release", "net10.0", "launcher", "IpcBroker.MiniLauncher.dll")), "launcher/ is not in the host app's build output");
        Assert.True(File.Exists(Path.Combine(publish, "launcher", "IpcBroker.MiniLauncher.dll")), "launcher/ is not in the host app's publish output");
        Assert.True(File.Exists(Path.Combine(publish, "mini", "SampleMiniApp.dll")), "mini/ is not in the host app's publish output");
        ChildProcess.Result host = await this.RunOkAsync(ChildProcess.Dotnet, [Path.Combine(publish, "SampleHost.dll")], this.work, TimeSpan.FromMinutes(1));
        Assert.Contains("OK host -> mini SAMPLE_ECHO", host.Output, StringComparison.Ordinal);
        Assert.Contains("OK mini -> host SAMPLE_GREET answered 'hello mini from the host'", host.Output, StringComparison.Ordinal);
        Assert.Contains("ALL OK", host.Output, StringComparison.Ordinal);

        // A host app that turns generated assembly info off would get no default mini executable: its build says so.
        ChildProcess.Result noInfo = await this.RunAsync(ChildProcess.Dotnet, ["build", "SampleHost/SampleHost.csproj", "-nologo", "-p:GenerateAssemblyInfo=false", "-o", Path.Combine(this.work, "no-info"), .. version], user, TimeSpan.FromMinutes(4));
        Assert.True(noInfo.ExitCode != 0 && noInfo.Output.Contains("GenerateAssemblyInfo=false", StringComparison.Ordinal), noInfo.ToString());

        // (c): a plugin author's tests on the testing kit, in memory.
        ChildProcess.Result kit = await this.RunOkAsync(ChildProcess.Dotnet, ["test", "SamplePlugin.Tests/SamplePlugin.Tests.csproj", "-nologo", .. version], user, TimeSpan.FromMinutes(4));
        Assert.Matches(@"Failed:\s+0,\s+Passed:\s+1,", kit.Output);

        // (d): the tool, installed from the folder; its demo starts the sample mini from mini/ through launcher/.
        string tools = Path.Combine(this.work, "tools");
        await this.RunOkAsync(ChildProcess.Dotnet, ["tool", "install", "--tool-path", tools, "--add-source", feed, "IpcBroker.Tool", "--version", this.version], this.work, TimeSpan.FromMinutes(2));
        string ipcbroker = Path.Combine(tools, "ipcbroker");
        ChildProcess.Result help = await this.RunOkAsync(ipcbroker, ["--help"], this.work, TimeSpan.FromMinutes(1));
        Assert.Contains("serve", help.Output, StringComparison.Ordinal);
        ChildProcess.Result toolVersion = await this.RunOkAsync(ipcbroker, ["--version"], this.work, TimeSpan.FromMinutes(1));
        Assert.Equal(this.version, toolVersion.Output.Trim());
        ChildProcess.Result demo = await this.RunOkAsync(ipcbroker, ["demo"], this.work, TimeSpan.FromMinutes(2));
        Assert.Contains("done: every outcome as expected", demo.Output, StringComparison.Ordinal);

        // Its JavaScript step ran (a skip there would hide a broken build): the countdown's states, then its last line.
        Assert.Matches(@"(?m)^\[[^\]]*\] js\s+wx-js-demo: demo: demo\.countdown state \{""left"":1\}", demo.Output);
        Assert.Matches(@"(?m)^\[[^\]]*\] js\s+wx-js-demo: demo: done\r?$", demo.Output);

        this.Output.WriteLine($"from the packages alone: {clock.Elapsed.TotalSeconds:F0} s in all");
    }

    /// <summary>
    /// Each package depends on the other IpcBroker packages at exactly its own version ([v], not >= v): they use one
    /// another's internals, so a mix of versions must fail at restore, not at run time.
    /// </summary>
    private static void AssertSiblingDependenciesArePinned(string feed, string version)
    {
        int pinned = 0;
        foreach (string package in Directory.GetFiles(feed, "*.nupkg"))
        {
            using ZipArchive zip = ZipFile.OpenRead(package);
            ZipArchiveEntry nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using Stream stream = nuspec.Open();
            foreach (XElement dependency in XDocument.Load(stream).Descendants().Where(e => e.Name.LocalName == "dependency"))
            {
                string id = (string?)dependency.Attribute("id") ?? string.Empty;
                if (id.StartsWith("IpcBroker", StringComparison.Ordinal))
                {
                    Assert.True($"[{version}]" == (string?)dependency.Attribute("version"), $"{Path.GetFileName(package)} depends on {id} {(string?)dependency.Attribute("version")}, not exactly [{version}]");
                    pinned++;
                }
            }
        }

        Assert.True(pinned > 0, "no package depends on another IpcBroker package");
    }

    public override void Dispose()
    {
        ChildProcess.EndCompilerServers(this.compilerServerId);
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in PackageIds)
        {
            string idFolder = Path.Combine(packages, id.ToLowerInvariant());
            TryDelete(Path.Combine(idFolder, this.version));
            if (Directory.Exists(idFolder) && !Directory.EnumerateFileSystemEntries(idFolder).Any())
            {
                TryDelete(idFolder);
            }
        }

        TryDelete(this.work);
        base.Dispose();
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            string[] parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Any(p => p is "bin" or "obj"))
            {
                continue;
            }

            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Copies what a pack needs (src/ and the root's build files) away from the repository: its obj/ is the outer build's.</summary>
    private void CopySources(string repo)
    {
        CopyDirectory(Path.Combine(RepositoryRoot, "src"), Path.Combine(repo, "src"));
        foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "README.md", "LICENSE" })
        {
            File.Copy(Path.Combine(RepositoryRoot, file), Path.Combine(repo, file));
        }
    }

    /// <summary>IpcBroker* from the folder only; everything else from the machine's own sources.</summary>
    private void WriteNuGetConfig(string user, string feed)
    {
        string machineConfig = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "NuGet", "NuGet.Config");
        List<(string Key, string Value)> sources = File.Exists(machineConfig)
            ? XDocument.Load(machineConfig).Root?.Element("packageSources")?.Elements("add")
                .Select(e => ((string?)e.Attribute("key") ?? "", (string?)e.Attribute("value") ?? ""))
                .Where(s => s.Item1.Length > 0 && s.Item2.Length > 0).ToList() ?? []
            : [];
        if (sources.Count == 0)
        {
            sources.Add(("nuget.org", "https://api.nuget.org/v3/index.json"));
        }

        var config = new XElement(
            "configuration",
            new XElement("packageSources", new XElement("clear"), new XElement("add", new XAttribute("key", "ipcbroker-local"), new XAttribute("value", feed)), sources.Select(s => new XElement("add", new XAttribute("key", s.Key), new XAttribute("value", s.Value)))),
            new XElement("packageSourceMapping", new XElement("packageSource", new XAttribute("key", "ipcbroker-local"), new XElement("package", new XAttribute("pattern", "IpcBroker*"))), sources.Select(s => new XElement("packageSource", new XAttribute("key", s.Key), new XElement("package", new XAttribute("pattern", "*"))))));
        config.Save(Path.Combine(user, "NuGet.config"));
    }

    private async Task<ChildProcess.Result> RunOkAsync(string fileName, string[] arguments, string workingDirectory, TimeSpan deadline)
    {
        ChildProcess.Result result = await this.RunAsync(fileName, arguments, workingDirectory, deadline);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private async Task<ChildProcess.Result> RunAsync(string fileName, string[] arguments, string workingDirectory, TimeSpan deadline)
    {
        string temp = Directory.CreateDirectory(Path.Combine(this.work, "tmp")).FullName;
        ChildProcess.Result result = await ChildProcess.RunAsync(fileName, arguments, workingDirectory, temp, deadline, this.compilerServerId, this.TimeoutToken);
        this.Output.WriteLine(result.ToString());
        return result;
    }
}
