using System.Runtime.CompilerServices;
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
    private const int OWriteOnly = 1;
    private const int OCreate = 0x40;
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
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
            for (int j = 0; j < 20; j++)
            {
                Directory.CreateDirectory(Path.Combine(scratch, $"a{i}", $"d{j}"));
                File.WriteAllText(Path.Combine(scratch, $"a{i}", $"d{j}", "inside"), "x");
            }

            File.CreateSymbolicLink(Path.Combine(scratch, $"l{i}"), outside);
        }

        using var stop = new CancellationTokenSource();
        var exchanges = new StrongBox<long>();
        using var running = new ManualResetEventSlim();
        Task racer = Task.Factory.StartNew(() => Race(scratch, exchanges, running, stop.Token), TaskCreationOptions.LongRunning);
        long during = 0;
        try
        {
            // The race runs before the first removal begins: the racer has made exchanges.
            Assert.True(running.Wait(TimeSpan.FromSeconds(30), this.TimeoutToken), "the racer made its first exchanges");

            // While the racer runs, a removal may fail (a directory it refills); it never follows a link.
            for (int attempt = 0; attempt < 50 && Directory.Exists(scratch); attempt++)
            {
                long before = Interlocked.Read(ref exchanges.Value);
                string? why = ScratchDirectory.TryRemove(scratch, DateTime.UtcNow + TimeSpan.FromSeconds(2));
                during += Interlocked.Read(ref exchanges.Value) - before;
                this.Output.WriteLine($"attempt {attempt}: {why ?? "removed"}");
                Assert.Equal(Entries, Directory.GetFiles(outside).Length);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await this.WithTimeoutAsync(racer);
        }

        this.Output.WriteLine($"{during} exchanges while the removal ran");
        Assert.True(during > 0, "the racer exchanged directories and links while the removal ran");
        Assert.Null(ScratchDirectory.TryRemove(scratch));
        Assert.False(Directory.Exists(scratch));
        Assert.Equal(Entries, Directory.GetFiles(outside).Length);
    }

    [SkippableFact]
    public void ANameThatIsNotUtf8IsRemoved()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the no-follow removal is Linux's");
        string scratch = Path.Combine(this.root, "scratch");
        Directory.CreateDirectory(Path.Combine(scratch, "sub"));
        int fd = OpenAt(-100, Bytes(Path.Combine(scratch, "sub")), ODirectory, 0);
        Assert.True(fd >= 0, $"open: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            // bad\xffname: .NET decodes it to U+FFFD, a name that does not exist.
            foreach (byte[] name in new[] { Bytes("bad\u0001"u8.ToArray(), 0xff), Bytes("dir\u0001"u8.ToArray(), 0xfe) })
            {
                Assert.Equal(0, MkdirAt(fd, name, 448));
                int child = OpenAt(fd, name, ODirectory, 0);
                Assert.True(child >= 0);
                int file = OpenAt(child, Bytes("bad\u0001"u8.ToArray(), 0xff), OCreate | OWriteOnly, 384);
                Assert.True(file >= 0);
                _ = Close(file);
                _ = Close(child);
            }

            int top = OpenAt(fd, Bytes("f\u0001"u8.ToArray(), 0xff), OCreate | OWriteOnly, 384);
            Assert.True(top >= 0);
            _ = Close(top);
        }
        finally
        {
            _ = Close(fd);
        }

        Assert.Null(ScratchDirectory.TryRemove(scratch));
        Assert.False(Directory.Exists(scratch));
    }

    [SkippableFact]
    public void ATreeDeeperThanAnyLimitIsRemoved()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the no-follow removal is Linux's");
        string scratch = Path.Combine(this.root, "scratch");
        Directory.CreateDirectory(scratch);
        int fd = OpenAt(-100, Bytes(scratch), ODirectory, 0);
        Assert.True(fd >= 0);
        byte[] name = Bytes("d"u8.ToArray());

        // Far deeper than a path can name (PATH_MAX), so made through descriptors.
        for (int depth = 0; depth < 5000; depth++)
        {
            Assert.Equal(0, MkdirAt(fd, name, 448));
            int child = OpenAt(fd, name, ODirectory, 0);
            Assert.True(child >= 0, $"depth {depth}: errno {Marshal.GetLastPInvokeError()}");
            _ = Close(fd);
            fd = child;
        }

        int file = OpenAt(fd, Bytes("file"u8.ToArray()), OCreate | OWriteOnly, 384);
        Assert.True(file >= 0);
        _ = Close(file);
        _ = Close(fd);

        Assert.Null(ScratchDirectory.TryRemove(scratch));
        Assert.False(Directory.Exists(scratch));
    }

    [SkippableFact]
    public void DirectoriesItsWriterMadeReadOnlyOrClosedAreRemoved()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the no-follow removal is Linux's");
        Skip.If(Environment.IsPrivilegedProcess, "root is not refused by a directory's mode: the test needs a user that is");
        string scratch = Path.Combine(this.root, "scratch");
        foreach (string sub in new[] { "read-only", "closed" })
        {
            Directory.CreateDirectory(Path.Combine(scratch, sub, "inner"));
            File.WriteAllText(Path.Combine(scratch, sub, "file"), "x");
            File.WriteAllText(Path.Combine(scratch, sub, "inner", "file"), "x");
        }

        File.SetUnixFileMode(Path.Combine(scratch, "read-only"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        File.SetUnixFileMode(Path.Combine(scratch, "closed"), UnixFileMode.None);

        Assert.Null(ScratchDirectory.TryRemove(scratch));
        Assert.False(Directory.Exists(scratch));
    }

    [SkippableFact]
    public async Task AnEntryThatCannotBeRemovedLeavesOnlyItself()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the no-follow removal is Linux's");
        string scratch = Path.Combine(this.root, "scratch");
        Directory.CreateDirectory(scratch);
        for (int i = 0; i < 50; i++)
        {
            Directory.CreateDirectory(Path.Combine(scratch, $"d{i}"));
            File.WriteAllText(Path.Combine(scratch, $"d{i}", "file"), "x");
            File.WriteAllText(Path.Combine(scratch, $"f{i}"), "x");
        }

        // An immutable file (chattr +i, which needs CAP_LINUX_IMMUTABLE and a file system that has the flag) cannot be unlinked.
        string stuck = Path.Combine(scratch, "stuck");
        File.WriteAllText(stuck, "x");
        Skip.IfNot(await this.ChattrAsync("+i", stuck), "chattr +i is refused here (no CAP_LINUX_IMMUTABLE, or the file system lacks the flag)");
        try
        {
            string? why = ScratchDirectory.TryRemove(scratch);

            Assert.NotNull(why);
            Assert.Contains("stuck", why, StringComparison.Ordinal);
            Assert.Equal([stuck], Directory.GetFileSystemEntries(scratch));
        }
        finally
        {
            Assert.True(await this.ChattrAsync("-i", stuck));
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        if (ScratchDirectory.TryRemove(this.root) is { } why)
        {
            this.Output.WriteLine($"cleanup: {this.root} left: {why}");
        }
    }

    private static void Race(string scratch, StrongBox<long> exchanges, ManualResetEventSlim running, CancellationToken stop)
    {
        const long RenameAt2 = 316;
        const uint RenameExchange = 2;
        while (!stop.IsCancellationRequested)
        {
            for (int i = 0; i < Entries; i++)
            {
                if (Syscall(RenameAt2, -100, Path.Combine(scratch, $"a{i}"), -100, Path.Combine(scratch, $"l{i}"), RenameExchange) == 0
                    && Interlocked.Increment(ref exchanges.Value) >= 1000)
                {
                    running.Set();
                }
            }
        }
    }

    /// <summary>A name's bytes, NUL-terminated, with <paramref name="last"/> put in for each byte 1 (a byte C# literals cannot hold).</summary>
    private static byte[] Bytes(byte[] name, byte last = 0) => [.. name.Select(b => b == 1 ? last : b), 0];

    private static byte[] Bytes(string path) => Bytes(System.Text.Encoding.UTF8.GetBytes(path));

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath, uint flags);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static extern int OpenAt(int directoryFd, byte[] path, int flags, int mode);

    [DllImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static extern int MkdirAt(int directoryFd, byte[] path, int mode);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    private async Task<bool> ChattrAsync(string change, string path)
    {
        using var chattr = new System.Diagnostics.Process { StartInfo = new("chattr", [change, path]) { RedirectStandardError = true } };
        try
        {
            chattr.Start();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }

        try
        {
            await this.WithTimeoutAsync(chattr.WaitForExitAsync(this.TimeoutToken));
        }
        finally
        {
            if (!chattr.HasExited)
            {
                chattr.Kill();
            }
        }

        this.Output.WriteLine($"chattr {change}: exit {chattr.ExitCode} {await chattr.StandardError.ReadToEndAsync(this.TimeoutToken)}");
        return chattr.ExitCode == 0;
    }

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
