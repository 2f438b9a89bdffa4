using System.Runtime.InteropServices;
using RuntimeEnvironment = System.Runtime.InteropServices.RuntimeEnvironment;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>What the tests need to know of, and do to, processes that are not their children.</summary>
internal static class ProcessProbe
{
    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;

    /// <summary>The dotnet host running the tests, to start framework-dependent test apps with.</summary>
    public static string DotnetHost
    {
        get
        {
            string candidate = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
            return File.Exists(candidate) ? candidate : "dotnet";
        }
    }

    /// <summary>Sends a signal by pid.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Whether the process has ended: gone from /proc, or a zombie waiting for a reaper that is not us.</summary>
    public static bool HasEnded(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");

            // The state is the first field after the parenthesised command name.
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }

    /// <summary>The processes, zombies included, whose parent is <paramref name="parent"/>, read from /proc.</summary>
    public static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid))
            {
                continue;
            }

            try
            {
                // After the command name: state, then the parent's pid.
                string stat = File.ReadAllText(Path.Combine(directory, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == parent)
                {
                    children.Add(pid);
                }
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
            {
                // It ended while we looked.
            }
        }

        return children;
    }

    /// <summary>
    /// What <paramref name="pid"/> holds open that is not a file: pipes, sockets, event and timer descriptors, counted
    /// by kind ("pipe", "socket", "anon_inode:[eventpoll]"…). Files are left out: assemblies are mapped as they load.
    /// </summary>
    public static SortedDictionary<string, int> OpenNonFileDescriptors(int pid)
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target = new FileInfo(fd).LinkTarget;
            if (target is null || target.StartsWith('/'))
            {
                continue;
            }

            string kind = target.StartsWith("anon_inode:", StringComparison.Ordinal) ? target : target.Split(':')[0];
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return kinds;
    }

    /// <summary>
    /// Waits until every process in <paramref name="pids"/> has ended. They are not our children, so no exit event
    /// reaches us; /proc is read every 10 ms until then, bounded by <paramref name="cancellationToken"/>.
    /// </summary>
    public static async Task WaitUntilEndedAsync(IEnumerable<int> pids, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!pids.All(HasEnded))
        {
            await timer.WaitForNextTickAsync(cancellationToken);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
