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
    /// <remarks>
    /// Tried entry by entry: the .NET runtime and node start with the libraries and /proc/PID alone (node also needs
    /// /etc/ssl/openssl.cnf); the rest is what common library calls read (user names, the time zone, the processor
    /// count), which a program would otherwise see fail with EACCES.
    /// </remarks>
    public static void AddTo(LandlockRuleset ruleset, bool network)
    {
        // Shared libraries and the dynamic loader: read to be mapped, execute because the kernel opens the ELF
        // interpreter as an executable. /lib64 holds the x86_64 loader's link (merged-/usr systems resolve /lib and
        // /lib64 into /usr); /usr/lib64 is where other distributions keep their libraries.
        foreach (string libraries in (string[])["/lib", "/lib64", "/usr/lib", "/usr/lib64"])
        {
            ruleset.Allow(libraries, LandlockAccess.ReadOnly, required: false);
        }

        // ld.so.cache: how the loader finds a library by name (the runtimes dlopen libicu, libssl, libz by name).
        // localtime: the local time zone (glibc's localtime, .NET's TimeZoneInfo.Local, node's Date).
        // nsswitch.conf, passwd, group: user and group names (.NET's Environment.UserName, node's os.userInfo()).
        // hosts, resolv.conf: name resolution ("localhost" too, without the network).
        // ssl/openssl.cnf: OpenSSL's configuration, which node loads at start-up whether or not it uses TLS (without
        // it node exits with "OpenSSL configuration error").
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

        // /dev/null is written (and opened with O_TRUNC by shells' redirections); zero is mapped; random and urandom
        // seed hash tables and random number generators when getrandom() is not used.
        ruleset.Allow("/dev/null", LandlockAccess.ReadFile | LandlockAccess.WriteFile | LandlockAccess.Truncate, required: false);
        ruleset.Allow("/dev/zero", LandlockAccess.ReadFile, required: false);
        ruleset.Allow("/dev/random", LandlockAccess.ReadFile, required: false);
        ruleset.Allow("/dev/urandom", LandlockAccess.ReadFile, required: false);

        // The processors and the memory: Environment.ProcessorCount and the GC's sizing, node's os.cpus() (empty
        // without /proc/stat) and os.totalmem().
        foreach (string file in (string[])["/proc/cpuinfo", "/proc/meminfo", "/proc/stat"])
        {
            ruleset.Allow(file, LandlockAccess.ReadFile, required: false);
        }

        // The process's own /proc entry (maps, status, cgroup, mountinfo, fd, task/*), which both runtimes read at
        // start: the pid survives execve, so this is the program's /proc/self. No other process's entry is reachable,
        // not even its children's (a child's /proc/self is another directory).
        ruleset.Allow("/proc/" + Libc.GetProcessId().ToString(CultureInfo.InvariantCulture), Read, required: true);

        // Cgroup limits (the .NET GC and libuv read memory.max or memory.limit_in_bytes and the cpu quota, to size
        // heaps and thread pools to the box) and the online processors.
        ruleset.Allow("/sys/fs/cgroup", Read, required: false);
        ruleset.Allow("/sys/devices/system/cpu", Read, required: false);
    }
}
