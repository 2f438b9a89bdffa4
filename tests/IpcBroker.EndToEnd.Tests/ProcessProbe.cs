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
