using System.Diagnostics;
using System.Text.Json.Nodes;
using IpcBroker.MainProcess.Cli;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>
/// What a <c>serve</c> host exposes besides its pipe: every file and directory it creates is its user's only, its control
/// socket is away from the mini processes' pipe directory, and its .NET diagnostic port follows
/// <c>DOTNET_EnableDiagnostics</c>.
/// </summary>
public sealed class HostSurfaceTests : HostTestBase
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string root = Path.Combine(Path.GetTempPath(), "ipcb-surface-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> pipeDirectories = [];

    public HostSurfaceTests(ITestOutputHelper output)
        : base(output)
    {
        Directory.CreateDirectory(this.root);
    }

    /// <summary>The connection file, in a runtime directory the host creates (as <c>$XDG_RUNTIME_DIR/ipcbroker</c>).</summary>
    private string ConnectionFile => Path.Combine(this.root, "run", "ipcbroker", "serve.json");

    private string DataDirectory => Path.Combine(this.root, "data");

    [Fact]
    public async Task EverythingTheHostCreatesIsPrivateAndTheControlSocketIsNotInThePipeDirectory()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        (Process serve, Dictionary<string, string> banner) = await this.StartServeAsync();
        (int code, string stdout, _) = await this.RunAsync("open", "wx-private", "--json");
        Assert.Equal(0, code);
        this.TrackPid(JsonNode.Parse(stdout)!["pid"]!.GetValue<int>());

        string pipeDirectory = Path.GetDirectoryName(banner["pipe"])!;
        string controlDirectory = Path.GetDirectoryName(banner["control"])!;
        Assert.NotEqual(pipeDirectory, controlDirectory);
        Assert.False(controlDirectory.StartsWith(pipeDirectory + "/", StringComparison.Ordinal));
        Assert.Equal(Path.GetDirectoryName(this.ConnectionFile), Path.GetDirectoryName(controlDirectory));
        Assert.Equal([Path.Combine(pipeDirectory, "host.sock")], Directory.GetFileSystemEntries(pipeDirectory));

        // Every file and directory below the host's four places, with its mode.
        var entries = new List<(string Path, UnixFileMode Mode, bool IsDirectory)>();
        foreach (string place in new[] { pipeDirectory, controlDirectory, Path.GetDirectoryName(this.ConnectionFile)!, this.DataDirectory })
        {
            entries.Add((place, File.GetUnixFileMode(place), true));
            foreach (string entry in Directory.EnumerateFileSystemEntries(place, "*", SearchOption.AllDirectories))
            {
                entries.Add((entry, File.GetUnixFileMode(entry), Directory.Exists(entry)));
            }
        }

        this.Output.WriteLine(string.Join("\n", entries.Select(e => $"{Convert.ToString((int)e.Mode, 8).PadLeft(4, '0')} {e.Path}")));
        string[] names = [.. entries.Select(e => Path.GetFileName(e.Path))];
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "host.sock", "control.sock", "serve.json", "openapi.db", "openapi.db-wal", "sandboxes", "wx-private-release" });
        Assert.All(entries, e => Assert.True(e.Mode == (e.IsDirectory ? PrivateDirectory : PrivateFile), $"{e.Path} is {Convert.ToString((int)e.Mode, 8)}"));

        // The diagnostic port is on by default, for the developer's tools.
        Assert.StartsWith("on (", banner["diagnostic port"]);
        Assert.NotEmpty(Directory.GetFileSystemEntries(Path.GetTempPath(), $"dotnet-diagnostic-{serve.Id}-{StartKey(serve.Id)}-socket"));

        ProcessProbe.Signal(serve.Id, 15);
        await this.WithTimeoutAsync(serve.WaitForExitAsync(this.TimeoutToken));
        Assert.Equal(0, serve.ExitCode);
        Assert.False(Directory.Exists(controlDirectory), "serve removes its control directory");
        Assert.False(Directory.Exists(pipeDirectory), "serve removes its pipe directory");
    }

    [Fact]
    public async Task TheDiagnosticPortIsOffWithDotnetEnableDiagnostics0AndAKilledHostsControlDirectoryGoesWithTheNextServe()
    {
        this.ExtendTimeout(ManyProcessesTimeout);
        (Process killed, Dictionary<string, string> first) = await this.StartServeAsync(("DOTNET_EnableDiagnostics", "0"));
        Assert.Equal("off", first["diagnostic port"]);
        // Only this process's own socket counts: an earlier process with the same pid, killed, may have left its file behind.
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetTempPath(), $"dotnet-diagnostic-{killed.Id}-{StartKey(killed.Id)}-*"));

        ProcessProbe.Signal(killed.Id, ProcessProbe.SigKill);
        await this.WithTimeoutAsync(killed.WaitForExitAsync(this.TimeoutToken));
        Assert.True(File.Exists(first["control"]), "a killed host cannot remove its control socket");

        (Process next, Dictionary<string, string> second) = await this.StartServeAsync(("DOTNET_EnableDiagnostics", "0"));
        Assert.False(Directory.Exists(Path.GetDirectoryName(first["control"])), "the next serve removes a dead host's control directory");
        Assert.True(File.Exists(second["control"]));
        Assert.Equal(0, (await this.RunAsync("list")).Code);

        ProcessProbe.Signal(next.Id, 15);
        await this.WithTimeoutAsync(next.WaitForExitAsync(this.TimeoutToken));
        Assert.Equal(0, next.ExitCode);
    }

    [Fact]
    public void ADeadProcessesDiagnosticSocketWithThisProcessesPidIsNotTakenForThisProcesses()
    {
        // The runtime names its socket by pid and the process's start time; a process killed before it could remove its
        // socket leaves the file behind, and a later process may get the same pid.
        string directory = Path.Combine(this.root, "tmp");
        Directory.CreateDirectory(directory);
        int pid = Environment.ProcessId;
        long started = DiagnosticPort.StartKey();
        File.WriteAllText(Path.Combine(directory, $"dotnet-diagnostic-{pid}-{started + 1}-socket"), string.Empty);
        Assert.Null(DiagnosticPort.Find(directory));

        string own = Path.Combine(directory, $"dotnet-diagnostic-{pid}-{started}-socket");
        File.WriteAllText(own, string.Empty);
        Assert.Equal(own, DiagnosticPort.Find(directory));
    }

    public override void Dispose()
    {
        base.Dispose();
        Directory.Delete(this.root, recursive: true);

        // A serve host that was killed cannot remove its pipe directory.
        foreach (string directory in this.pipeDirectories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Starts <c>serve</c>, waits for its "ready" line and returns its banner's parts ("pipe", "control", "diagnostic port").</summary>
    private async Task<(Process Serve, Dictionary<string, string> Banner)> StartServeAsync(params (string Name, string Value)[] environment)
    {
        Process serve = this.Start(environment, "serve", "--data", this.DataDirectory, "--user", "u-7");
        var banner = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await this.WithTimeoutAsync(serve.StandardOutput.ReadLineAsync()) is { } line && !line.StartsWith("ready", StringComparison.Ordinal))
        {
            this.Output.WriteLine("serve: " + line);
            if (line.StartsWith("serving as ", StringComparison.Ordinal))
            {
                // "serving as U: pipe P, control C, connection file F, data D"
                foreach (string part in line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..].Split(", "))
                {
                    int space = part.LastIndexOf(' ');
                    banner[part[..space]] = part[(space + 1)..];
                }

                this.pipeDirectories.Add(Path.GetDirectoryName(banner["pipe"])!);
            }
            else if (line.StartsWith("diagnostic port: ", StringComparison.Ordinal))
            {
                banner["diagnostic port"] = line["diagnostic port: ".Length..];
            }
        }

        return (serve, banner);
    }

    private Process Start((string Name, string Value)[] environment, params string[] args)
    {
        var startInfo = new ProcessStartInfo(ProcessProbe.DotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        startInfo.ArgumentList.Add(CommandLineTests.HostExecutable);
        foreach (string arg in args.Append("--connection").Append(this.ConnectionFile))
        {
            startInfo.ArgumentList.Add(arg);
        }

        foreach ((string name, string value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        Process process = Process.Start(startInfo)!;
        this.TrackPid(process.Id);
        return process;
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using Process process = this.Start([], args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(this.TimeoutToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(this.TimeoutToken);
        await this.WithTimeoutAsync(process.WaitForExitAsync(this.TimeoutToken));
        this.Output.WriteLine($"$ {string.Join(' ', args)} -> {process.ExitCode}\n{await stdout}{await stderr}");
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A process's start time in clock ticks after boot (field 22 of its stat), the key the runtime puts in its diagnostic socket's name.</summary>
    private static string StartKey(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[22 - 3];
    }
}
