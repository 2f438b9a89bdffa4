using System.Text;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests.JsHost;

/// <summary>
/// A hostile package's directory listing is charged before it is spent: a directory with far more entries than a package
/// may hold is refused without the host listing (and keeping) every name of it first.
/// </summary>
public sealed class PackageListingBudgetTests(ITestOutputHelper output) : TestBase(output)
{
    /// <summary>Entries in the hostile directory: thirty times the budget.</summary>
    private const int Flood = 30_000;

    /// <summary>What reading may allocate at most: the budget's names need some hundred KiB; listing the flood needs ~10 MiB.</summary>
    private const long AllocationBound = 3L * 1024 * 1024;

    private readonly string directory = Directory.CreateTempSubdirectory("ipcbroker-package-flood-").FullName;

    public override void Dispose()
    {
        Directory.Delete(this.directory, recursive: true);
        base.Dispose();
    }

    [Fact]
    public void ADirectoryWithFarTooManyEntriesIsRefusedWithoutListingThemAll()
    {
        this.WriteGood();
        for (int i = 0; i < Flood; i++)
        {
            File.WriteAllBytes(Path.Combine(this.directory, $"f{i:D6}.js"), []);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        MiniProgramPackageException refused = Assert.Throws<MiniProgramPackageException>(() => MiniProgramPackage.Read(this.directory));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        this.Output.WriteLine($"{refused.Message} ({allocated} bytes allocated)");

        Assert.Contains("one entry too many", refused.Message);
        Assert.True(allocated < AllocationBound, $"reading allocated {allocated} bytes for a package refused at {MiniProgramPackage.MaxEntries} entries");
    }

    [Fact]
    public void ADirectoryWithFarTooManyHiddenEntriesIsRefusedWithoutListingThemAll()
    {
        this.WriteGood();
        for (int i = 0; i < Flood; i++)
        {
            File.WriteAllBytes(Path.Combine(this.directory, $".h{i:D6}"), []);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? refused = Record.Exception(() => MiniProgramPackage.Read(this.directory));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        this.Output.WriteLine($"{refused?.Message ?? "read"} ({allocated} bytes allocated)");

        Assert.IsType<MiniProgramPackageException>(refused);
        Assert.True(allocated < AllocationBound, $"reading allocated {allocated} bytes for a directory of {Flood} hidden entries");
    }

    private void WriteGood()
    {
        File.WriteAllText(Path.Combine(this.directory, "app.json"), """{ "appId": "wx-pkg" }""", new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(this.directory, "app.js"), "App({});", new UTF8Encoding(false));
    }
}
