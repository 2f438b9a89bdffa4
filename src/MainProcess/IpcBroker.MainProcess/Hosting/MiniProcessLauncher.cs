using System.Diagnostics;
using System.Runtime.InteropServices;
using IpcBroker.MainProcess.Hosting.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace IpcBroker.MainProcess.Hosting;

/// <summary>
/// Starts mini program processes, each in a clean start and (on Linux, unless the sandbox is off) through the launcher
/// that boxes it in before its own code runs; hands them their launch line over standard input.
/// </summary>
/// <remarks>
/// <para>Every process gets a cleared environment (<see cref="MiniEnvironment"/>), a private scratch directory
/// (<see cref="ScratchDirectory"/>) and its sandbox directory, else the scratch directory, as working directory.</para>
/// <para>With the launcher the process the host starts is <c>dotnet IpcBroker.MiniLauncher.dll ARGS -- PROGRAM ARGS</c>: the
/// launcher connects to the host's socket (fd 3), sets the limits, drops privileges, applies Landlock and seccomp to
/// itself and <c>execve</c>s the mini program, so the pid started, the pid connected and the mini process are one.</para>
/// <para>The scratch directory (and the process's cgroup) are removed once the process has exited, in its handle's exit path.</para>
/// </remarks>
internal sealed class MiniProcessLauncher
{
    /// <summary>The descriptor the launcher leaves the connected socket at.</summary>
    public const int InheritedSocketFd = 3;

    /// <summary>The dotnet host that runs framework-dependent apps, found from the running runtime's own location.</summary>
    private static readonly Lazy<string> DotnetHost = new(() =>
    {
        // RuntimeDirectory is <root>/shared/Microsoft.NETCore.App/<version>/; the host is <root>/dotnet.
        string candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    });

    private readonly string executablePath;
    private readonly MiniAppHostOptions options;
    private readonly string pipePath;
    private readonly ILogger childOutputLogger;
    private readonly ILogger miniProgramLogger;
    private readonly ILogger logger;
    private readonly string launcherPath;
    private readonly MiniCgroupSupport cgroups;
    private readonly Lazy<IReadOnlyList<string>> readOnlyGrants;

    /// <param name="executablePath">The mini program executable.</param>
    /// <param name="options">The host's settings: the sandbox, the caps of the children's output.</param>
    /// <param name="pipePath">The host's socket, which the launcher connects for the mini process.</param>
    /// <param name="childOutputLogger">Where the children's output lines go (their own category, at Debug).</param>
    /// <param name="logger">Where the host's own messages go (the protections, cleanup failures).</param>
    /// <param name="miniProgramLogger">Where the mini programs' console lines go (<see cref="ChildOutputLog.MiniProgramCategory"/>); null: <paramref name="childOutputLogger"/>.</param>
    public MiniProcessLauncher(string executablePath, MiniAppHostOptions options, string pipePath, ILogger childOutputLogger, ILogger logger, ILogger? miniProgramLogger = null)
    {
        this.miniProgramLogger = miniProgramLogger ?? childOutputLogger;
        this.executablePath = executablePath.Length == 0 ? string.Empty : Path.GetFullPath(executablePath);
        this.options = options;
        this.pipePath = pipePath;
        this.childOutputLogger = childOutputLogger;
        this.logger = logger;
        this.launcherPath = Path.GetFullPath(options.Sandbox.LauncherPath ?? Path.Combine(AppContext.BaseDirectory, "launcher", "IpcBroker.MiniLauncher.dll"));
        this.cgroups = options.Sandbox.Cgroups ?? MiniCgroupSupport.Current;
        this.Protections = this.Probe();
        this.readOnlyGrants = new(this.ReadOnlyGrants);
    }

    /// <summary>Gets the protections every process this launcher starts gets, probed once.</summary>
    public MiniProcessProtections Protections { get; }

    /// <summary>
    /// Checks that the executable exists, the output caps and limits make sense, and no read-write grant contains or is
    /// inside the mini executable's directory, the launcher's directory or the sandbox root.
    /// </summary>
    /// <exception cref="IpcConfigurationException">When they do not.</exception>
    public void Validate()
    {
        if (this.executablePath.Length == 0)
        {
            throw new IpcConfigurationException("No mini program executable: set MiniAppHostOptions.MiniExecutablePath, or name the mini program's project in the host app's project with <MiniProcessProject Include=\"...csproj\" /> (the host package's build copies it to mini/).");
        }

        if (!File.Exists(this.executablePath))
        {
            throw new IpcConfigurationException($"The mini program executable '{this.executablePath}' does not exist. Build the host app (its MiniProcessProject item copies the mini executable to mini/), or set MiniAppHostOptions.MiniExecutablePath.");
        }

        if (this.options.ChildOutputMaxLineLength < 16 || this.options.ChildOutputLinesPerSecond < 0)
        {
            throw new IpcConfigurationException($"ChildOutputMaxLineLength must be at least 16 and ChildOutputLinesPerSecond at least 0, not {this.options.ChildOutputMaxLineLength} and {this.options.ChildOutputLinesPerSecond}.");
        }

        if (this.options.Sandbox.MemoryLimitBytes is <= 0 || this.options.Sandbox.CpuLimit is <= 0 || this.options.Sandbox.MaxTasks is <= 0)
        {
            throw new IpcConfigurationException("MiniSandboxOptions' MemoryLimitBytes, CpuLimit and MaxTasks must be positive, or null for no limit.");
        }

        // A mini process that could write what every later process runs (the mini executable, the launcher) or every
        // other program's and user's sandbox would carry its code, or its reach, into them.
        List<(string What, string Path)> guarded =
        [
            ("the mini executable's directory", Path.GetDirectoryName(this.executablePath)!),
            ("the launcher's directory", Path.GetDirectoryName(this.launcherPath)!),
            ("the host's pipe directory", Path.GetDirectoryName(this.pipePath)!),
            ("the host's own directory", AppContext.BaseDirectory),
            ("the .NET runtime's directory", System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory()),
        ];
        if (this.options.SandboxRoot is { } root)
        {
            guarded.Add(("the sandbox root", Path.GetFullPath(root)));
        }

        // The temp directory holds every mini process's scratch directory: a grant of it (or above it) hands each one all
        // the others'. A directory of the caller's own inside it is fine. (Paths are compared as written, links unresolved.)
        string temp = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.GetTempPath()));
        foreach (string grant in this.options.Sandbox.ReadWritePaths)
        {
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(grant));
            if (IsWithin(temp, full))
            {
                throw new IpcConfigurationException($"MiniSandboxOptions.ReadWritePaths entry '{full}' contains the temp directory ('{temp}'), where every mini process's scratch directory is: every mini process could write in all of them. Grant a directory of its own.");
            }

            foreach ((string what, string path) in guarded)
            {
                if (Overlaps(full, Path.TrimEndingDirectorySeparator(path)))
                {
                    throw new IpcConfigurationException($"MiniSandboxOptions.ReadWritePaths entry '{full}' {(IsWithin(full, path) ? "is or is inside" : "contains")} {what} ('{path}'): every mini process could write there. Grant a directory of its own.");
                }
            }
        }
    }

    /// <summary>Logs the protections: Information when complete, else a Warning naming each missing one.</summary>
    public void LogProtections()
    {
        if (this.Protections.IsComplete)
        {
            HostLog.SandboxComplete(this.logger, this.Protections.Describe());
        }
        else
        {
            HostLog.SandboxIncomplete(this.logger, this.Protections.Describe(), string.Join("; ", this.Protections.Missing));
        }
    }

    /// <summary>
    /// Removes, and logs, what the mini processes of hosts that ended without cleaning up (SIGKILL, a crash) left: their
    /// scratch directories (<see cref="ScratchDirectory.RemoveStale"/>) and their empty cgroups below this host's cgroup
    /// (<see cref="MiniCgroupSupport.RemoveStale"/>), each when older than <see cref="ScratchDirectory.MinimumAge"/>.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="deadline">When to stop removing scratch directories, leaving the rest to the next host.</param>
    /// <remarks>Throws nothing: what fails is logged (<see cref="HostLog.StaleSweepFinished"/> says how it ended).</remarks>
    public void RemoveStaleLeftovers(DateTime now, DateTime deadline)
    {
        int scratchDirectories = 0, cgroups = 0;
        try
        {
            foreach (string directory in ScratchDirectory.RemoveStale(Path.GetTempPath(), now, deadline))
            {
                HostLog.RemovedStaleScratchDirectory(this.logger, directory);
                scratchDirectories++;
            }

            foreach (string directory in this.cgroups.RemoveStale(now, ScratchDirectory.MinimumAge))
            {
                HostLog.RemovedStaleCgroup(this.logger, directory);
                cgroups++;
            }

            HostLog.StaleSweepFinished(this.logger, scratchDirectories, cgroups, DateTime.UtcNow > deadline ? "its time ran out, the rest is left to the next host" : "complete");
        }
        catch (Exception ex)
        {
            HostLog.StaleSweepFinished(this.logger, scratchDirectories, cgroups, "failed: " + ex.Message);
        }
    }

    /// <summary>Starts a mini program process; it waits for a launch line on its standard input, which stays open as its lifeline.</summary>
    /// <param name="lastKey">Whom the process serves, for its log lines.</param>
    /// <param name="key">The mini program it is started for (its network grant).</param>
    /// <param name="sandboxDirectory">The mini program's directory for the signed-in user, or null when the host keeps none.</param>
    /// <returns>The started process.</returns>
    /// <exception cref="MiniAppStartException">When the sandbox is <see cref="MiniSandboxMode.Required"/> and this machine lacks part of it.</exception>
    /// <exception cref="IOException">When the scratch directory cannot be made.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">When the process cannot be started.</exception>
    /// <remarks>
    /// Its standard output and error are read from the raw streams by <see cref="ChildOutputReader"/> (bounded lines), logged
    /// through a <see cref="ChildOutputLog"/> (rate limited), and standard error also feeds the <see cref="StderrTail"/>.
    /// </remarks>
    public MiniProcessHandle Start(Func<MiniAppKey> lastKey, MiniAppKey key, string? sandboxDirectory) => this.Start(lastKey, key, sandboxDirectory, spare: false);

    /// <summary>
    /// Starts a mini program process (<see cref="Start(Func{MiniAppKey}, MiniAppKey, string?)"/>), or a spare: a process for no
    /// mini program yet, with no sandbox directory and no network, told so by <see cref="IpcBroker.Sessions.SpareProcessSignals.EnvironmentVariable"/>,
    /// whose ready line (<see cref="MiniProcessHandle.SpareReadiness"/>) is heard until its launch line is sent.
    /// </summary>
    /// <param name="lastKey">Whom the process serves, for its log lines.</param>
    /// <param name="key">The mini program it is started for (its network grant); ignored for a spare.</param>
    /// <param name="sandboxDirectory">The mini program's directory for the signed-in user, or null; null for a spare.</param>
    /// <param name="spare">Whether the process is a spare.</param>
    /// <returns>The started process.</returns>
    /// <exception cref="MiniAppStartException">When the sandbox is <see cref="MiniSandboxMode.Required"/> and this machine lacks part of it.</exception>
    /// <exception cref="IOException">When the scratch directory cannot be made.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">When the process cannot be started.</exception>
    public MiniProcessHandle Start(Func<MiniAppKey> lastKey, MiniAppKey key, string? sandboxDirectory, bool spare)
    {
        if (spare && sandboxDirectory is not null)
        {
            throw new ArgumentException("A spare has no sandbox directory: it is started before anyone knows its mini program.", nameof(sandboxDirectory));
        }

        if (this.options.Sandbox.Mode == MiniSandboxMode.Required && this.Protections.RequiredShortfall is { } shortfall)
        {
            throw new MiniAppStartException($"{key} did not start: the sandbox is required (MiniSandboxOptions.Mode) and this machine lacks {shortfall}. Missing: {string.Join("; ", this.Protections.Missing)}.");
        }

        string scratch = ScratchDirectory.Create();
        SafeFileHandle? scratchLock = null;
        MiniCgroup? cgroup = null;
        try
        {
            // Held until the directory is removed: the mark by which no other host's sweep takes it for a dead host's.
            scratchLock = ScratchDirectory.Lock(scratch);
            cgroup = this.CreateCgroup();
            return this.StartIn(lastKey, key, sandboxDirectory, spare, scratch, scratchLock, cgroup);
        }
        catch
        {
            // Nothing joined the cgroup: it is empty, and goes at once.
            cgroup?.RemoveEmpty();
            ScratchDirectory.TryRemove(scratch);
            scratchLock?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What every mini process may read and run, the same for each start (found once: resolving the PATH's links is I/O):
    /// its own directory, the programs on its PATH (a script's interpreter, node…), and the .NET runtime, which a .dll mini
    /// needs and a script or an app host often starts; all of it public, and read-only.
    /// </summary>
    private IReadOnlyList<string> ReadOnlyGrants()
    {
        List<string> readOnly = [Path.GetDirectoryName(this.executablePath)!, .. SearchPathDirectories(), .. this.options.Sandbox.ReadOnlyPaths.Select(Path.GetFullPath)];
        if (Path.IsPathRooted(DotnetHost.Value))
        {
            readOnly.Add(Path.GetDirectoryName(DotnetHost.Value)!);
        }

        return readOnly;
    }

    /// <summary>Makes the process's cgroup, when the launcher is used, the host may make one and a limit is set; else null.</summary>
    private MiniCgroup? CreateCgroup()
    {
        MiniSandboxOptions sandbox = this.options.Sandbox;
        if (!this.Protections.UsesLauncher || this.cgroups.Mode == MiniCgroupMode.None || (sandbox.MemoryLimitBytes, sandbox.CpuLimit, sandbox.MaxTasks) is (null, null, null))
        {
            return null;
        }

        return this.cgroups.Create(new MiniCgroupLimits(sandbox.MemoryLimitBytes, sandbox.CpuLimit, sandbox.MaxTasks), this.logger);
    }

    private MiniProcessHandle StartIn(Func<MiniAppKey> lastKey, MiniAppKey key, string? sandboxDirectory, bool spare, string scratch, SafeFileHandle scratchLock, MiniCgroup? cgroup)
    {
        string home = sandboxDirectory ?? scratch;
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = home,
        };

        bool isDll = this.executablePath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        string program = isDll ? DotnetHost.Value : this.executablePath;
        List<string> programArguments = isDll ? [this.executablePath] : [];
        MiniSandboxOptions sandbox = this.options.Sandbox;
        if (!OperatingSystem.IsWindows())
        {
            startInfo.Environment.Clear();
            foreach ((string name, string value) in MiniEnvironment.Build(home, scratch, sandbox.MemoryLimitBytes, sandbox.Environment, Environment.GetEnvironmentVariable, spare))
            {
                startInfo.Environment[name] = value;
            }
        }
        else
        {
            // The host's environment is inherited here: the host's own marker still wins over whatever it holds.
            MiniEnvironment.MarkSpare(startInfo.Environment, spare);
        }

        bool launcher = this.Protections.UsesLauncher;
        bool network = !spare && sandbox.NetworkAppIds.Contains(key.AppId);
        List<string> applied = ["clean environment", "private scratch directory"];
        if (launcher)
        {
            List<string> readWrite = [scratch, .. sandbox.ReadWritePaths.Select(Path.GetFullPath)];
            if (sandboxDirectory is not null)
            {
                readWrite.Add(sandboxDirectory);
            }

            var commandLine = new LauncherCommandLine(
                this.launcherPath,
                this.pipePath,
                this.Protections.LandlockAbi,
                this.Protections.Seccomp,
                network,
                this.readOnlyGrants.Value,
                readWrite,
                cgroup?.Directories ?? [],
                MiniProcessLimits.ResourceLimits(),
                program,
                programArguments);
            startInfo.FileName = DotnetHost.Value;
            foreach (string argument in commandLine.ToArguments())
            {
                startInfo.ArgumentList.Add(argument);
            }

            if (cgroup is not null)
            {
                applied.Add("cgroup");
            }

            applied.Add("rlimits");
            applied.Add("pre-connected socket");
            applied.Add("no new privileges");
            applied.Add("capabilities dropped");
            if (this.Protections.LandlockAbi > 0)
            {
                applied.Add($"landlock ABI {this.Protections.LandlockAbi}");
            }

            if (this.Protections.Seccomp)
            {
                applied.Add("seccomp");
            }
        }
        else
        {
            startInfo.FileName = program;
            foreach (string argument in programArguments)
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        var report = new MiniProcessSandbox(applied, network || !this.Protections.Seccomp, MiniProcessLimits.Describe(sandbox, cgroup is null ? null : this.cgroups.LimitsName, launcher));
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var stderrTail = new StderrTail();
        var log = new ChildOutputLog(this.childOutputLogger, this.miniProgramLogger, lastKey, this.options.ChildOutputLinesPerSecond, this.options.ChildOutputRateWindow);
        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        process.Start();
        log.ProcessId = process.Id;
        SpareReadiness? readiness = spare ? new SpareReadiness() : null;
        Task stdout = ChildOutputReader.PumpAsync(process.StandardOutput.BaseStream, this.options.ChildOutputMaxLineLength, line =>
        {
            if (readiness?.TryTake(line) != true)
            {
                log.Write("stdout", line);
            }
        });
        Task stderr = ChildOutputReader.PumpAsync(process.StandardError.BaseStream, this.options.ChildOutputMaxLineLength, line =>
        {
            stderrTail.Add(line);
            log.Write("stderr", line);
        });
        int pid = process.Id;
        return new MiniProcessHandle(process, stderrTail, startedAt, DrainAsync(stdout, stderr, log), () => this.CleanUpAsync(lastKey(), pid, scratch, scratchLock, cgroup))
        {
            OutputLog = log,
            SocketFd = launcher ? InheritedSocketFd : null,
            Sandbox = report,
            SpareReadiness = readiness,
        };
    }

    /// <summary>Removes what the process was given for its life, once it has exited; logs what could not be removed, throws nothing.</summary>
    /// <remarks>
    /// The cgroup goes first: removing it ends whatever descendants the process left in it, so that none of them can
    /// still write in the scratch directory while it is removed. The removal runs within
    /// <see cref="ScratchDirectory.RemovalBudget"/> here (this is on the process's exit path, which stops wait for); a
    /// scratch directory a mini process filled with more than that is finished on the thread pool. The scratch
    /// directory's lock (<see cref="ScratchDirectory.Lock"/>) is let go once the removal has ended, done or not.
    /// </remarks>
    private async Task CleanUpAsync(MiniAppKey key, int pid, string scratch, SafeFileHandle scratchLock, MiniCgroup? cgroup)
    {
        if (cgroup is not null)
        {
            // Bounded by its own retries; a cgroup a descendant keeps alive is logged (CgroupLeft) and left.
            await cgroup.RemoveAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (ScratchDirectory.TryRemove(scratch, DateTime.UtcNow + ScratchDirectory.RemovalBudget) is null)
        {
            scratchLock.Dispose();
            return;
        }

        _ = Task.Run(() =>
        {
            using (scratchLock)
            {
                if (ScratchDirectory.TryRemove(scratch) is { } why)
                {
                    HostLog.SandboxCleanupFailed(this.logger, key, pid, scratch, why);
                }
            }
        });
    }

    private MiniProcessProtections Probe()
    {
        MiniSandboxOptions sandbox = this.options.Sandbox;
        if (sandbox.Mode == MiniSandboxMode.Off)
        {
            return MiniProcessProtections.Decide(sandbox.Mode, null, new KernelSandboxFeatures(0, null, false, null), null, null);
        }

        string? launcherMissing = !OperatingSystem.IsLinux() ? "the launcher runs on Linux only"
            : !File.Exists(this.launcherPath) ? $"not found at {this.launcherPath}"
            : null;
        KernelSandboxFeatures kernel = sandbox.ProbeKernel?.Invoke() ?? KernelProbe.Probe();
        return MiniProcessProtections.Decide(sandbox.Mode, launcherMissing, kernel, this.cgroups.LimitsName, this.cgroups.Reason);
    }

    /// <summary>Whether one of the two full paths is the other or inside it.</summary>
    private static bool Overlaps(string a, string b) => IsWithin(a, b) || IsWithin(b, a);

    /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or inside it (full paths, by name: not through links).</summary>
    private static bool IsWithin(string path, string directory)
    {
        StringComparison comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string trimmed = Path.TrimEndingDirectorySeparator(directory);
        return path.Equals(trimmed, comparison)
            || path.StartsWith(trimmed + Path.DirectorySeparatorChar, comparison)
            || (trimmed.Length > 0 && trimmed[^1] == Path.DirectorySeparatorChar && path.StartsWith(trimmed, comparison));
    }

    /// <summary>The directories of <see cref="MiniEnvironment.SearchPath"/> that exist, with symbolic links resolved (<c>/bin</c> is often one).</summary>
    private static IEnumerable<string> SearchPathDirectories()
    {
        foreach (string directory in MiniEnvironment.SearchPath.Split(':'))
        {
            var info = new DirectoryInfo(directory);
            if (info.Exists)
            {
                yield return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
            }
        }
    }

    private static async Task DrainAsync(Task stdout, Task stderr, ChildOutputLog log)
    {
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        log.Complete();
    }
}
