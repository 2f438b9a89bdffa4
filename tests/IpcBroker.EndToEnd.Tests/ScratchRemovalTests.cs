using System.Runtime.InteropServices;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// The host removes a mini process's scratch directory, which the mini process (or a descendant it left) could write in:
/// no symbolic link in it may lead the removal outside, also not one swapped in while the tree is walked.
/// </summary>
public sealed class ScratchRemovalTests(ITestOutputHelper output) : TestBase(output), IDisposable
{
    private const int Entries = 20;
    private readonly string root = Directory.CreateTempSubdirectory("ipcb-scratch-test-").FullName;

    [SkippableFact]
    public void ALinkInTheTreeIsRemovedAndWhatItPointsToIsLeft()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the no-follow removal is Linux's");
        string outside = this.Canary();
        string scratch = Path.Combine(this.root, "scratch");
        Directory.CreateDirectory(Path.Combine(scratch, "a", "b"));
        File.WriteAllText(Path.Combine(scratch, "a", "b", "file"), "x");
        File.CreateSymbolicLink(Path.Combine(scratch, "a", "link-to-dir"), outside);
        File.CreateSymbolicLink(Path.Combine(scratch, "link-to-file"), Path.Combine(outside, "canary-0"));

        Assert.Null(ScratchDirectory.TryRemove(scratch));

        Assert.False(Directory.Exists(scratch));
        Assert.Equal(Entries, Directory.GetFiles(outside).Length);
    }

    [SkippableFact]
    public async Task ADirectorySwappedForALinkDuringTheRemovalIsNeverEntered()
    {
        // The review of issue 9 reproduced this against Directory.Delete(recursive: true): a racer exchanging directories
        // a0..a19 with links l0..l19 (renameat2 RENAME_EXCHANGE) made it delete every file the links point to.
        Skip.IfNot(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64, "the racer's renameat2 number is x86_64's");
        string outside = this.Canary();
        string scratch = Path.Combine(this.root, "scratch");
        for (int i = 0; i < Entries; i++)
        {
            Directory.CreateDirectory(Path.Combine(scratch, $"a{i}"));
            File.WriteAllText(Path.Combine(scratch, $"a{i}", "inside"), "x");
            File.CreateSymbolicLink(Path.Combine(scratch, $"l{i}"), outside);
        }

        using var stop = new CancellationTokenSource();
        Task racer = Task.Factory.StartNew(() => Race(scratch, stop.Token), TaskCreationOptions.LongRunning);
        try
        {
            // While the racer runs, a removal may fail (a directory it refills); it never follows a link.
            for (int attempt = 0; attempt < 50 && Directory.Exists(scratch); attempt++)
            {
                string? why = ScratchDirectory.TryRemove(scratch, DateTime.UtcNow + TimeSpan.FromSeconds(2));
                this.Output.WriteLine($"attempt {attempt}: {why ?? "removed"}");
                Assert.Equal(Entries, Directory.GetFiles(outside).Length);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await this.WithTimeoutAsync(racer);
        }

        Assert.Null(ScratchDirectory.TryRemove(scratch));
        Assert.False(Directory.Exists(scratch));
        Assert.Equal(Entries, Directory.GetFiles(outside).Length);
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(this.root, recursive: true);
    }

    private static void Race(string scratch, CancellationToken stop)
    {
        const long RenameAt2 = 316;
        const uint RenameExchange = 2;
        while (!stop.IsCancellationRequested)
        {
            for (int i = 0; i < Entries; i++)
            {
                _ = Syscall(RenameAt2, -100, Path.Combine(scratch, $"a{i}"), -100, Path.Combine(scratch, $"l{i}"), RenameExchange);
            }
        }
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath, uint flags);

    private string Canary()
    {
        string outside = Path.Combine(this.root, "outside");
        Directory.CreateDirectory(outside);
        for (int i = 0; i < Entries; i++)
        {
            File.WriteAllText(Path.Combine(outside, $"canary-{i}"), "keep me");
        }

        return outside;
    }
}
