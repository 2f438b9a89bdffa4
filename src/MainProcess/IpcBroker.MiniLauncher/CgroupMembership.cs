using System.Globalization;

namespace IpcBroker.MiniLauncher;

/// <summary>Step 1: moves the launcher's process (every thread, and so the program it execs) into cgroups.</summary>
internal static class CgroupMembership
{
    /// <summary>Writes this process's id to each directory's <c>cgroup.procs</c>.</summary>
    /// <param name="directories">One directory per cgroup v1 controller hierarchy, or one cgroup v2 directory.</param>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.Cgroup"/>: a write failed.</exception>
    public static void Join(IReadOnlyList<string> directories)
    {
        string pid = Libc.GetProcessId().ToString(CultureInfo.InvariantCulture) + "\n";
        foreach (string directory in directories)
        {
            string procs = Path.Combine(directory, "cgroup.procs");
            try
            {
                // Open, not create: a missing file means a wrong directory, and creating it would hide that.
                using FileStream stream = new(procs, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
                stream.Write(System.Text.Encoding.ASCII.GetBytes(pid));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new LaunchStepException(LauncherExitCode.Cgroup, $"cannot join cgroup {directory}: {e.Message}");
            }
        }
    }
}
