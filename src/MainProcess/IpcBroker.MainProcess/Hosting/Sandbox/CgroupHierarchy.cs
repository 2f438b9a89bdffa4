namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>One mounted cgroup hierarchy and where the host's own cgroup is in it.</summary>
/// <param name="Controllers">The controllers of a v1 hierarchy (e.g. "cpu", "cpuacct"); empty for v2.</param>
/// <param name="HostDirectory">The directory of the host's own cgroup in this hierarchy.</param>
internal sealed record CgroupHierarchy(IReadOnlySet<string> Controllers, string HostDirectory)
{
    /// <summary>Finds the host's cgroup directories from <c>/proc/self/cgroup</c> and <c>/proc/self/mountinfo</c>.</summary>
    /// <param name="cgroupText">The text of /proc/self/cgroup: <c>id:controllers:path</c> lines.</param>
    /// <param name="mountInfoText">The text of /proc/self/mountinfo.</param>
    /// <returns>The v2 hierarchy (if mounted) and the v1 hierarchies.</returns>
    public static (CgroupHierarchy? Unified, IReadOnlyList<CgroupHierarchy> Legacy) Find(string cgroupText, string mountInfoText)
    {
        // mountinfo: id parent major:minor root mountpoint options [optional...] - fstype source superoptions.
        List<(string Root, string MountPoint, string FileSystem, HashSet<string> Options)> mounts = [];
        foreach (string line in mountInfoText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (separator < 0 || fields.Length < separator + 4 || fields.Length < 5 || !fields[separator + 1].StartsWith("cgroup", StringComparison.Ordinal))
            {
                continue;
            }

            mounts.Add((Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], [.. fields[separator + 3].Split(',')]));
        }

        CgroupHierarchy? unified = null;
        List<CgroupHierarchy> legacy = [];
        foreach (string line in cgroupText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            if (parts[0] == "0" && parts[1].Length == 0)
            {
                var mount = mounts.FirstOrDefault(m => m.FileSystem == "cgroup2");
                if (mount.MountPoint is not null && Below(mount.Root, parts[2]) is string relative)
                {
                    unified = new CgroupHierarchy(new HashSet<string>(), Directory(mount.MountPoint, relative));
                }

                continue;
            }

            // A named hierarchy (name=systemd) has no controller, and limits nothing: skipped.
            HashSet<string> controllers = [.. parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries).Where(c => !c.StartsWith("name=", StringComparison.Ordinal))];
            var legacyMount = mounts.FirstOrDefault(m => m.FileSystem == "cgroup" && controllers.All(m.Options.Contains));
            if (controllers.Count > 0 && legacyMount.MountPoint is not null && Below(legacyMount.Root, parts[2]) is string legacyRelative)
            {
                legacy.Add(new CgroupHierarchy(controllers, Directory(legacyMount.MountPoint, legacyRelative)));
            }
        }

        return (unified, legacy);
    }

    private static string Directory(string mountPoint, string relative) => relative == "/" ? mountPoint : Path.Join(mountPoint, relative);

    // The path in /proc/self/cgroup is from the hierarchy's root; a mount may show a sub-tree of it (root != "/").
    private static string? Below(string mountRoot, string cgroupPath)
    {
        if (mountRoot == "/")
        {
            return cgroupPath;
        }

        return cgroupPath == mountRoot ? "/" : cgroupPath.StartsWith(mountRoot + "/", StringComparison.Ordinal) ? cgroupPath[mountRoot.Length..] : null;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string field) => System.Text.RegularExpressions.Regex.Replace(
        field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
