using System.Reflection.PortableExecutable;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// What the build makes of a mini program executable for its start-up: its build output (what a host starts, and what a
/// host app's MiniProcessProject copies to mini/) is ReadyToRun — the app and the libraries its first call runs through
/// (build/IpcBroker.MiniProcess.targets of IpcBroker.MiniProcess).
/// </summary>
public class MiniExecutableBuildTests : TestBase
{
    public MiniExecutableBuildTests(ITestOutputHelper output)
        : base(output)
    {
    }

    /// <summary>The assemblies a mini process runs from its start to its first answered call, beside the executable.</summary>
    public static TheoryData<string> StartUpAssemblies => new()
    {
        "IpcBroker.TestMiniApp.dll",
        "IpcBroker.MiniProcess.dll",
        "IpcBroker.dll",
        "StreamJsonRpc.dll",
        "MessagePack.dll",
        "Nerdbank.Streams.dll",
        "Microsoft.Extensions.Hosting.dll",
        "Microsoft.Extensions.DependencyInjection.dll",
        "Microsoft.Extensions.Logging.Console.dll",
    };

    [Theory]
    [MemberData(nameof(StartUpAssemblies))]
    public void TestMiniAppBuildOutputIsReadyToRun(string assembly)
    {
        string path = Path.Combine(Path.GetDirectoryName(HostTestBase.TestMiniAppPath)!, assembly);
        Assert.True(IsReadyToRun(path), $"{path} is IL only: the build did not precompile it (ReadyToRun)");
    }

    [Fact]
    public void TheTestsOwnLibrariesAreNotReadyToRunSoTheCheckCanTell()
    {
        // The same libraries in the tests' own output (a test project asks for no ReadyToRun) are IL only: the check above
        // tells the two apart.
        Assert.False(IsReadyToRun(Path.Combine(AppContext.BaseDirectory, "StreamJsonRpc.dll")));
    }

    /// <summary>A ReadyToRun image carries a managed native header (its precompiled code) in its CLR header; an IL-only one does not.</summary>
    private static bool IsReadyToRun(string path)
    {
        using FileStream file = File.OpenRead(path);
        using var reader = new PEReader(file);
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}
