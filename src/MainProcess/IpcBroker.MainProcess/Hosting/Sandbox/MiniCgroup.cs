using System.Globalization;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// One mini process's cgroup: made before the process starts (<see cref="MiniCgroupSupport.Create"/>), joined by the
/// launcher (<c>--cgroup</c> for each of <see cref="Directories"/>), removed after the process has exited.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="RemoveAsync"/> may be called again (it tries again what is left; a directory already gone
/// counts as removed).
/// </remarks>
internal sealed class MiniCgroup
{
    private const int RemoveAttempts = 20;
    private static readonly TimeSpan RemoveRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly ILogger logger;

    /// <summary>Initializes a new instance of the <see cref="MiniCgroup"/> class.</summary>
    /// <param name="name">The cgroup's name, <c>ipcb-mini-&lt;16 hex&gt;</c>.</param>
    /// <param name="mode">The cgroup interface.</param>
    /// <param name="hierarchies">Each hierarchy's controllers and this cgroup's directory in it.</param>
    /// <param name="logger">Where a failed removal is reported.</param>
    internal MiniCgroup(string name, MiniCgroupMode mode, IReadOnlyList<(IReadOnlySet<string> Controllers, string Directory)> hierarchies, ILogger logger)
    {
        this.Name = name;
        this.Mode = mode;
        this.Hierarchies = hierarchies;
        this.logger = logger;
    }

    /// <summary>Gets the cgroup's name.</summary>
    public string Name { get; }

    /// <summary>Gets the cgroup interface.</summary>
    public MiniCgroupMode Mode { get; }

    /// <summary>Gets the directories to pass to the launcher as <c>--cgroup</c>, one per hierarchy.</summary>
    public IReadOnlyList<string> Directories => [.. this.Hierarchies.Select(h => h.Directory)];

    /// <summary>Gets each hierarchy's controllers (empty for v2) and this cgroup's directory in it.</summary>
    internal IReadOnlyList<(IReadOnlySet<string> Controllers, string Directory)> Hierarchies { get; }

    /// <summary>Reads the memory the cgroup's processes use now.</summary>
    /// <returns>The bytes (v2 <c>memory.current</c>, v1 <c>memory.usage_in_bytes</c>), or null when unknown.</returns>
    public long? MemoryUsageBytes()
    {
        string? directory = this.Mode == MiniCgroupMode.V2
            ? this.Hierarchies.FirstOrDefault().Directory
            : this.Hierarchies.FirstOrDefault(h => h.Controllers.Contains("memory")).Directory;
        if (directory is null)
        {
            return null;
        }

        try
        {
            string text = File.ReadAllText(Path.Join(directory, this.Mode == MiniCgroupMode.V2 ? "memory.current" : "memory.usage_in_bytes"));
            return long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes the cgroup once its process has exited. Processes still in it (descendants the mini process left
    /// behind) are killed first: the cgroup is the mini process's box, and nothing of it outlives the process. The
    /// kernel may report a cgroup busy for a moment after its last task exited, so removal is retried for about a
    /// second; a cgroup that still cannot be removed is left, with the reason logged.
    /// </summary>
    /// <param name="cancellationToken">Stops the retries (the cgroup is then left, and logged).</param>
    /// <returns>True when every directory is gone.</returns>
    public async Task<bool> RemoveAsync(CancellationToken cancellationToken)
    {
        bool removedAll = true;
        foreach ((_, string directory) in this.Hierarchies)
        {
            string? failure = null;
            for (int attempt = 1; attempt <= RemoveAttempts; attempt++)
            {
                failure = TryRemove(directory);
                if (failure is null || cancellationToken.IsCancellationRequested || attempt == RemoveAttempts)
                {
                    break;
                }

                KillRemaining(directory);
                try
                {
                    await Task.Delay(RemoveRetryDelay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            if (failure is not null)
            {
                removedAll = false;
                HostLog.CgroupLeft(this.logger, directory, failure);
            }
        }

        return removedAll;
    }

    /// <summary>Removes the directories that hold nothing yet (a cgroup that was made but never joined).</summary>
    internal void RemoveEmpty()
    {
        foreach ((_, string directory) in this.Hierarchies)
        {
            _ = TryRemove(directory);
        }
    }

    private static string? TryRemove(string directory)
    {
        try
        {
            // rmdir, not a recursive delete: a cgroup directory's files go with it, and cannot be deleted one by one.
            Directory.Delete(directory, recursive: false);
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            int remaining = ReadProcesses(directory).Count;
            return remaining > 0 ? $"{remaining} process(es) still in it: {e.Message}" : e.Message;
        }
    }

    private static void KillRemaining(string directory)
    {
        foreach (int pid in ReadProcesses(directory))
        {
            try
            {
                using System.Diagnostics.Process process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // Gone already, or not ours to kill: the next rmdir attempt says which.
            }
        }
    }

    private static List<int> ReadProcesses(string directory)
    {
        try
        {
            return [.. File.ReadAllLines(Path.Join(directory, "cgroup.procs"))
                .Select(line => int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0)
                .Where(pid => pid > 0)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
