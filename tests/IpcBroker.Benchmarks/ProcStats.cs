using System.Globalization;

namespace IpcBroker.Benchmarks;

/// <summary>Reads a process's CPU time and resident memory from <c>/proc</c> (Linux).</summary>
internal static class ProcStats
{
    /// <summary>Clock ticks per second of <c>/proc/PID/stat</c>'s times (USER_HZ, 100 on every Linux .NET runs on).</summary>
    public const double TicksPerSecond = 100;

    /// <summary>Gets the user plus system CPU seconds the process has used so far.</summary>
    public static double CpuSeconds(int pid) => ParseCpuTicks(File.ReadAllText($"/proc/{pid}/stat")) / TicksPerSecond;

    /// <summary>Gets the process's resident memory (VmRSS) in KiB.</summary>
    public static long RssKiB(int pid) => ParseRssKiB(File.ReadAllText($"/proc/{pid}/status"));

    /// <summary>Gets the DOTNET_ variables of the process's environment (its GC and JIT settings), or an empty list.</summary>
    public static IReadOnlyList<string> DotnetEnvironment(int pid)
    {
        try
        {
            return [.. File.ReadAllText($"/proc/{pid}/environ").Split('\0').Where(v => v.StartsWith("DOTNET_", StringComparison.Ordinal)).Order()];
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>Gets the machine's load averages over 1, 5 and 15 minutes, as <c>/proc/loadavg</c> gives them.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>utime + stime (fields 14 and 15) of a <c>/proc/PID/stat</c> line, in ticks.</summary>
    /// <remarks>The command name (field 2) is in parentheses and may hold spaces: fields are counted after its last ')'.</remarks>
    public static long ParseCpuTicks(string stat)
    {
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>The VmRSS line of a <c>/proc/PID/status</c> text, in KiB.</summary>
    public static long ParseRssKiB(string status)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new FormatException("no VmRSS line");
    }
}
