using System.Globalization;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// The built-in grants of step 5: what any dynamically linked program (and the .NET and node runtimes) needs to start,
/// read-only. Everything else comes from <c>--ro</c> and <c>--rw</c>. Paths that do not exist on this machine are
/// skipped.
/// </summary>
internal static class LandlockBaseline
{
    private const ulong Read = LandlockAccess.ReadFile | LandlockAccess.ReadDirectory;

    /// <summary>Adds the built-in grants to a ruleset.</summary>
    /// <param name="ruleset">The ruleset.</param>
    /// <param name="network">True when the program has the network (adds the TLS certificate stores).</param>
    public static void AddTo(LandlockRuleset ruleset, bool network)
    {
        // Shared libraries and the dynamic loader (read to be mapped; execute because the kernel opens the ELF
        // interpreter as an executable). On merged-/usr systems /lib and /lib64 resolve to the same directories.
        foreach (string libraries in (string[])["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"])
        {
            ruleset.Allow(libraries, LandlockAccess.ReadOnly, required: false);
        }

        // ld.so.cache: the loader finds libraries through it (libicu, libssl are dlopen'ed by name at run time).
        // localtime: the local time zone (glibc, .NET TimeZoneInfo.Local, node's Intl).
        // nsswitch.conf, passwd, group: user and group names (getpwuid: .NET's Environment.UserName, node's os.userInfo).
        // hosts, resolv.conf: name resolution, also for "localhost" without the network.
        // ssl/openssl.cnf: OpenSSL's configuration, which node loads at start-up (it exits with "OpenSSL configuration
        // error" when it cannot) whether or not it uses TLS.
        foreach (string file in (string[])["/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/resolv.conf", "/etc/ssl/openssl.cnf"])
        {
            ruleset.Allow(file, LandlockAccess.ReadFile, required: false);
        }

        if (network)
        {
            // The TLS trust store: /etc/ssl/certs links into /usr/share/ca-certificates (OpenSSL, .NET's X509Chain).
            ruleset.Allow("/etc/ssl", Read, required: false);
            ruleset.Allow("/usr/share/ca-certificates", Read, required: false);
        }

        // /dev/null is written (and opened with O_TRUNC by shells); random and urandom seed hash tables and RNGs.
        ruleset.Allow("/dev/null", LandlockAccess.ReadFile | LandlockAccess.WriteFile | LandlockAccess.Truncate, required: false);
        ruleset.Allow("/dev/zero", LandlockAccess.ReadFile, required: false);
        ruleset.Allow("/dev/random", LandlockAccess.ReadFile, required: false);
        ruleset.Allow("/dev/urandom", LandlockAccess.ReadFile, required: false);

        // The processor count and memory size (both runtimes size their thread pools and heaps from them).
        foreach (string file in (string[])["/proc/cpuinfo", "/proc/meminfo", "/proc/stat"])
        {
            ruleset.Allow(file, LandlockAccess.ReadFile, required: false);
        }

        // The process's own /proc entry (maps, status, cgroup, mountinfo, fd, task/*): the pid survives execve, so this
        // is the program's /proc/self. No other process's entry is reachable.
        ruleset.Allow("/proc/" + Libc.GetProcessId().ToString(CultureInfo.InvariantCulture), Read, required: true);

        // Cgroup limits (the .NET GC and node read memory.max / memory.limit_in_bytes and the cpu quota) and the online
        // processors.
        ruleset.Allow("/sys/fs/cgroup", Read, required: false);
        ruleset.Allow("/sys/devices/system/cpu", Read, required: false);
    }
}
