using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using IpcBroker.Protocol;
using IpcBroker.Sessions;

namespace IpcBroker.HostileMini;

/// <summary>
/// The <c>escape</c> attack (issue 9, point 2): a mini process that has passed its handshake tries, one by one, every way
/// out of its box that <see cref="EscapeChecks.Escapes"/> names, against targets the test hands it, and reports each
/// outcome to the test through a main-side event, as a compromised mini program would try them.
/// </summary>
/// <remarks>
/// Each check is made with raw system calls (<see cref="Libc"/>) and reported as blocked only on EACCES or EPERM; any
/// other failure is an error, so that a wrong target never reads as a block. What got through is undone where it could
/// disturb the test process (a ptrace seize is detached, nothing is read from another process's standard input) and left
/// in place where the test should see it (a file written).
/// </remarks>
internal sealed class EscapeAttack(HostileConnection c, MiniLaunchInfo launch)
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<RpcFrames.Message>> replies = new();
    private Bundle targets = new();

    /// <summary>Asks for the targets, runs every check and reports each outcome, then the end of the report.</summary>
    public async Task RunAsync()
    {
        _ = c.ReadForeverAsync(m => this.Reply(m.Id).TrySetResult(m));
        RpcFrames.Message answer = await this.CallAsync(EscapeChecks.TargetsEvent, null).ConfigureAwait(false);
        if (answer.Status != 0 || answer.Payload is null)
        {
            Program.Say($"escape: the host did not give the targets: {answer}");
            return;
        }

        this.targets = BundleCodec.Decode(answer.Payload, BundleLimits.Default);
        Program.Say($"escape: {this.targets.Count} targets; trying {EscapeChecks.Escapes.Count} escapes and {EscapeChecks.Controls.Count} controls");
        int sent = 0;
        foreach (string check in EscapeChecks.Escapes.Concat(EscapeChecks.Controls))
        {
            string outcome;
            try
            {
                outcome = this.Try(check);
            }
            catch (Exception ex)
            {
                outcome = $"{EscapeChecks.ErrorPrefix}{ex.GetType().Name}: {ex.Message}";
            }

            Program.Say($"ESCAPE {check}: {outcome}");
            RpcFrames.Message reported = await this.CallAsync(EscapeChecks.ReportEvent, new Bundle().PutString(EscapeChecks.CheckKey, check).PutString(EscapeChecks.OutcomeKey, outcome)).ConfigureAwait(false);
            if (reported.Status != 0)
            {
                Program.Say($"escape: reporting {check} failed: {reported}");
            }

            sent++;
        }

        RpcFrames.Message done = await this.CallAsync(EscapeChecks.ReportEvent, new Bundle().PutInt(EscapeChecks.DoneKey, sent)).ConfigureAwait(false);
        Program.Say($"escape: report done ({sent} outcomes): {done}");
    }

    private static string Blocked(int errno, string what) =>
        errno is Libc.EAcces or Libc.EPerm
            ? $"{EscapeChecks.BlockedPrefix}{Libc.Name(errno)} ({what})"
            : $"{EscapeChecks.ErrorPrefix}{Libc.Name(errno)} ({what})";

    /// <summary>The outcome of several attempts at one escape: reached if any got through, else an error if any erred, else blocked.</summary>
    private static string Combine(params string[] outcomes) =>
        outcomes.FirstOrDefault(o => o.StartsWith(EscapeChecks.ReachedPrefix, StringComparison.Ordinal))
        ?? (outcomes.Any(o => o.StartsWith(EscapeChecks.ErrorPrefix, StringComparison.Ordinal))
            ? EscapeChecks.ErrorPrefix + string.Join("; ", outcomes)
            : EscapeChecks.BlockedPrefix + string.Join("; ", outcomes.Select(o => o[EscapeChecks.BlockedPrefix.Length..])));

    private static string Reached(string what) => EscapeChecks.ReachedPrefix + what;

    /// <summary>Opens <paramref name="path"/> for reading and reads the start of it.</summary>
    private static string ReadFile(string path)
    {
        int fd = Libc.Open(path, Libc.ORdOnly | Libc.OCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "open " + path);
        }

        try
        {
            byte[] buffer = new byte[64];
            nint n = Libc.Read(fd, buffer, buffer.Length);
            return n < 0 ? Reached($"opened {path}; read failed: {Libc.Name(Libc.Errno)}") : Reached($"read {n} bytes of {path}: {Printable(buffer.AsSpan(0, (int)n))}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Opens <paramref name="directory"/> for listing and lists it.</summary>
    private static string ListDirectory(string directory)
    {
        int fd = Libc.Open(directory, Libc.ORdOnly | Libc.ODirectory | Libc.OCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "open directory " + directory);
        }

        Libc.Close(fd);
        string[] entries = Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).Take(8).ToArray()!;
        return Reached($"listed {directory}: {string.Join(", ", entries)}");
    }

    /// <summary>Creates <see cref="EscapeChecks.WrittenFileName"/> in <paramref name="directory"/> and leaves it there.</summary>
    private static string CreateFileIn(string directory) => CreateFile(Path.Combine(directory, EscapeChecks.WrittenFileName));

    private static string CreateFile(string path)
    {
        int fd = Libc.Open(path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.OCloExec, Convert.ToInt32("600", 8));
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "create " + path);
        }

        try
        {
            byte[] text = Encoding.UTF8.GetBytes("written by a hostile mini process\n");
            nint n = Libc.Write(fd, text, text.Length);
            return Reached($"created {path} and wrote {n} bytes");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Opens an existing file for writing, without writing to it (a store must not be damaged by the test).</summary>
    private static string OpenForWriting(string path)
    {
        int fd = Libc.Open(path, Libc.OWrOnly | Libc.OCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "open for writing " + path);
        }

        Libc.Close(fd);
        return Reached($"opened {path} for writing");
    }

    /// <summary>Writes, reads back and deletes a file in <paramref name="directory"/>: what the mini may do there.</summary>
    private static string WriteReadDelete(string? directory)
    {
        if (string.IsNullOrEmpty(directory))
        {
            return EscapeChecks.ErrorPrefix + "no directory to try";
        }

        string path = Path.Combine(directory, "ipcb-escape-control-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(path, "mine");
        string back = File.ReadAllText(path);
        File.Delete(path);
        return Reached($"wrote, read back ('{back}') and deleted {path}");
    }

    /// <summary>Connects a stream Unix socket to <paramref name="name"/> (a path, or an abstract name).</summary>
    private static string ConnectUnix(string name, bool isAbstract)
    {
        string shown = isAbstract ? "@" + name : name;
        int fd = Libc.Socket(Libc.AfUnix, Libc.SockStream | Libc.SockCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "socket(AF_UNIX)");
        }

        try
        {
            byte[] address = Libc.UnixAddress(name, isAbstract, out int length);
            return Libc.Connect(fd, address, length) == 0 ? Reached("connected to " + shown) : Blocked(Libc.Errno, "connect " + shown);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static string TcpConnect(int port)
    {
        int fd = Libc.Socket(Libc.AfInet, Libc.SockStream | Libc.SockCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "socket(AF_INET, SOCK_STREAM)");
        }

        try
        {
            return Libc.Connect(fd, Libc.LoopbackAddress(port), 16) == 0 ? Reached($"connected to 127.0.0.1:{port}") : Blocked(Libc.Errno, $"connect 127.0.0.1:{port}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static string UdpSend(int port)
    {
        int fd = Libc.Socket(Libc.AfInet, Libc.SockDgram | Libc.SockCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "socket(AF_INET, SOCK_DGRAM)");
        }

        try
        {
            byte[] datagram = Encoding.UTF8.GetBytes("escaped");
            nint n = Libc.SendTo(fd, datagram, datagram.Length, 0, Libc.LoopbackAddress(port), 16);
            return n >= 0 ? Reached($"sent {n} bytes to 127.0.0.1:{port}") : Blocked(Libc.Errno, $"sendto 127.0.0.1:{port}");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    private static string Signal(int pid, int signal) =>
        Libc.Kill(pid, signal) == 0 ? Reached($"kill({pid}, {signal}) returned 0") : Blocked(Libc.Errno, $"kill({pid}, {signal})");

    /// <summary>
    /// Seizes <paramref name="pid"/>'s main thread. When that works it is undone at once: the thread is interrupted, its
    /// stop waited for (2 s at most) and detached, re-injecting a signal it was stopped for, so the traced process goes on.
    /// </summary>
    private static string Ptrace(int pid)
    {
        if (Libc.Ptrace(Libc.PtraceSeize, pid, 0, 0) != 0)
        {
            return Blocked(Libc.Errno, $"ptrace(PTRACE_SEIZE, {pid})");
        }

        Libc.Ptrace(Libc.PtraceInterrupt, pid, 0, 0);
        long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 2;
        int status = 0;
        int waited = 0;
        while (waited == 0 && Stopwatch.GetTimestamp() < deadline)
        {
            waited = Libc.WaitPid(pid, out status, Libc.WNoHang | Libc.WAll);
            if (waited == 0)
            {
                Thread.Sleep(5);
            }
        }

        // A signal-delivery stop (no event in the high bits) would lose its signal if detached with 0.
        int inject = waited == pid && (status & 0xff) == 0x7f && (status >> 16) == 0 ? (status >> 8) & 0xff : 0;
        long detached = Libc.Ptrace(Libc.PtraceDetach, pid, 0, inject);
        return Reached($"seized pid {pid} (stop {(waited == pid ? "seen" : "not seen")}, detach {(detached == 0 ? "ok" : Libc.Name(Libc.Errno))})");
    }

    /// <summary>Opens <c>/proc/PID/mem</c> and reads 8 bytes at the start of its first mapping.</summary>
    private static string ReadMemory(int pid)
    {
        string path = $"/proc/{pid}/mem";
        int fd = Libc.Open(path, Libc.ORdOnly | Libc.OCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "open " + path);
        }

        try
        {
            string first = File.ReadLines($"/proc/{pid}/maps").First();
            long address = long.Parse(first[..first.IndexOf('-', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            byte[] buffer = new byte[8];
            nint n = Libc.PRead(fd, buffer, buffer.Length, address);
            return Reached(n > 0 ? $"opened {path} and read {n} bytes at 0x{address:x}: {Convert.ToHexString(buffer)}" : $"opened {path}; reading 0x{address:x} failed: {Libc.Name(Libc.Errno)}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return Reached($"opened {path} (its maps: {ex.GetType().Name})");
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>Opens another process's standard input, without reading from it (a read would steal its lifeline's bytes).</summary>
    private static string OpenStandardInput(int pid)
    {
        string path = $"/proc/{pid}/fd/0";
        int fd = Libc.Open(path, Libc.ORdOnly | Libc.ONonBlock | Libc.OCloExec, 0);
        if (fd < 0)
        {
            return Blocked(Libc.Errno, "open " + path);
        }

        Libc.Close(fd);
        return Reached($"opened {path} for reading: its launch line and lifeline could be raced");
    }

    /// <summary>Reads a NUL-separated <c>/proc</c> file and says how many entries it got, showing only their names.</summary>
    private static string ReadProcList(string path)
    {
        string outcome = ReadFile(path);
        if (!outcome.StartsWith(EscapeChecks.ReachedPrefix, StringComparison.Ordinal))
        {
            return outcome;
        }

        // Read whole through the runtime only once open() is known to work: no secret of the host is printed.
        string[] entries = File.ReadAllText(path).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        return Reached($"read {path}: {entries.Length} entries, e.g. {string.Join(", ", entries.Take(3).Select(e => e.Split('=')[0]))}");
    }

    /// <summary>Changes a file's metadata by its path (<paramref name="what"/> names the call): Landlock does not control it.</summary>
    private static string ChangeMetadata(int result, string what) => result == 0 ? Reached(what + " returned 0") : Blocked(Libc.Errno, what);

    /// <summary>
    /// Reads the host's <c>RLIMIT_NOFILE</c> and sets it to what it read: harmless when it gets through, and the same call
    /// with <c>RLIMIT_CPU</c> would have the kernel kill the host.
    /// </summary>
    private static string PrlimitHost(int pid)
    {
        ulong[] current = new ulong[2];
        if (Libc.Prlimit(pid, Libc.RlimitNoFile, null, current) != 0)
        {
            return Blocked(Libc.Errno, $"prlimit({pid}, RLIMIT_NOFILE) to read it");
        }

        return Libc.Prlimit(pid, Libc.RlimitNoFile, current, null) == 0
            ? Reached($"set pid {pid}'s RLIMIT_NOFILE to its current {current[0]}/{current[1]}")
            : Blocked(Libc.Errno, $"prlimit({pid}, RLIMIT_NOFILE, {current[0]}/{current[1]})");
    }

    /// <summary>
    /// Makes an unconnected datagram pair (<c>socket()</c> is refused, <c>socketpair</c> is another call) and sends from
    /// it to, or connects it to, a pathname datagram socket outside the box.
    /// </summary>
    private static string DatagramTo(string path, bool connect, int type = Libc.SockDgram)
    {
        int[] pair = new int[2];
        if (Libc.SocketPair(Libc.AfUnix, type | Libc.SockCloExec, 0, pair) != 0)
        {
            return Blocked(Libc.Errno, $"socketpair(AF_UNIX, type {type})");
        }

        try
        {
            byte[] address = Libc.UnixAddress(path, isAbstract: false, out int length);
            if (connect)
            {
                return Libc.Connect(pair[0], address, length) == 0 ? Reached("connected a datagram socket to " + path) : Blocked(Libc.Errno, "connect " + path);
            }

            byte[] datagram = Encoding.UTF8.GetBytes("escaped");
            nint n = Libc.SendTo(pair[0], datagram, datagram.Length, 0, address, length);
            return n >= 0 ? Reached($"sent {n} bytes to {path}") : Blocked(Libc.Errno, "sendto " + path);
        }
        finally
        {
            Libc.Close(pair[0]);
            Libc.Close(pair[1]);
        }
    }

    /// <summary>Attaches the test's System V shared memory segment and writes <see cref="EscapeChecks.SharedMemoryScribble"/> at its start.</summary>
    private static string AttachSharedMemory(int key)
    {
        int id = Libc.ShmGet(key, 0, 0);
        if (id < 0)
        {
            return Blocked(Libc.Errno, $"shmget(0x{key:x})");
        }

        nint address = Libc.ShmAt(id, 0, 0);
        if (address == -1)
        {
            return Blocked(Libc.Errno, $"shmat({id})");
        }

        try
        {
            byte[] before = new byte[6];
            System.Runtime.InteropServices.Marshal.Copy(address, before, 0, before.Length);
            byte[] scribble = Encoding.ASCII.GetBytes(EscapeChecks.SharedMemoryScribble);
            System.Runtime.InteropServices.Marshal.Copy(scribble, 0, address, scribble.Length);
            return Reached($"attached segment {id} (key 0x{key:x}), read '{Printable(before)}' and overwrote it");
        }
        finally
        {
            Libc.ShmDt(address);
        }
    }

    /// <summary>Creates a file in <paramref name="directory"/>, <c>fchmod</c>s it to 0600 through its descriptor, and deletes it.</summary>
    private static string FChmodOwnFile(string directory)
    {
        string path = Path.Combine(directory, "ipcb-escape-fchmod-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        int fd = Libc.Open(path, Libc.OWrOnly | Libc.OCreat | Libc.OExcl | Libc.OCloExec, Convert.ToInt32("644", 8));
        if (fd < 0)
        {
            return EscapeChecks.ErrorPrefix + $"create {path}: {Libc.Name(Libc.Errno)}";
        }

        try
        {
            return Libc.FChmod(fd, Convert.ToInt32("600", 8)) == 0 ? Reached($"fchmod {path} to 0600") : Blocked(Libc.Errno, $"fchmod {path} to 0600");
        }
        finally
        {
            Libc.Close(fd);
            File.Delete(path);
        }
    }

    /// <summary>The first 6 bytes, as text: enough to show what was read (SQLite's header, a JSON brace), never a secret.</summary>
    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (byte b in bytes[..Math.Min(bytes.Length, 6)])
        {
            text.Append(b is >= 0x20 and < 0x7f ? (char)b : '.');
        }

        return text.ToString();
    }

    private string Target(string key) =>
        this.targets.GetString(key) is { Length: > 0 } value ? value : throw new InvalidOperationException("the test gave no target " + key);

    private int TargetInt(string key) => int.Parse(this.Target(key), CultureInfo.InvariantCulture);

    private string Try(string check) => check switch
    {
        "read-data-dir" => Combine(ListDirectory(Path.GetDirectoryName(this.Target(EscapeChecks.DataFileKey))!), ReadFile(this.Target(EscapeChecks.DataFileKey))),
        "write-data-dir" => Combine(CreateFileIn(Path.GetDirectoryName(this.Target(EscapeChecks.DataFileKey))!), OpenForWriting(this.Target(EscapeChecks.DataFileKey))),
        "read-connection-file" => ReadFile(this.Target(EscapeChecks.ConnectionFileKey)),
        "read-other-app-sandbox" => Combine(ListDirectory(Path.GetDirectoryName(this.Target(EscapeChecks.OtherAppFileKey))!), ReadFile(this.Target(EscapeChecks.OtherAppFileKey))),
        "write-other-app-sandbox" => CreateFileIn(Path.GetDirectoryName(this.Target(EscapeChecks.OtherAppFileKey))!),
        "read-other-user-sandbox" => Combine(ListDirectory(Path.GetDirectoryName(this.Target(EscapeChecks.OtherUserFileKey))!), ReadFile(this.Target(EscapeChecks.OtherUserFileKey))),
        "write-other-user-sandbox" => CreateFileIn(Path.GetDirectoryName(this.Target(EscapeChecks.OtherUserFileKey))!),
        "read-test-directory" => Combine(ListDirectory(Path.GetDirectoryName(this.Target(EscapeChecks.TestFileKey))!), ReadFile(this.Target(EscapeChecks.TestFileKey))),
        "read-root-home" => ListDirectory("/root"),
        "read-etc-shadow" => ReadFile("/etc/shadow"),
        "write-outside" => CreateFile(this.Target(EscapeChecks.WriteOutsideKey)),
        "connect-control-socket" => ConnectUnix(this.Target(EscapeChecks.ControlSocketKey), isAbstract: false),
        "connect-diagnostic-socket" => ConnectUnix(this.Target(EscapeChecks.DiagnosticSocketKey), isAbstract: false),
        "connect-other-host-socket" => ConnectUnix(this.Target(EscapeChecks.OtherHostSocketKey), isAbstract: false),
        "connect-abstract-socket" => ConnectUnix(this.Target(EscapeChecks.AbstractSocketKey), isAbstract: true),
        "signal-host-0" => Signal(this.TargetInt(EscapeChecks.HostPidKey), 0),
        "signal-host-cont" => Signal(this.TargetInt(EscapeChecks.HostPidKey), Libc.SigCont),
        "signal-mini-0" => Signal(this.TargetInt(EscapeChecks.OtherMiniPidKey), 0),
        "signal-mini-cont" => Signal(this.TargetInt(EscapeChecks.OtherMiniPidKey), Libc.SigCont),
        "ptrace-host" => Ptrace(this.TargetInt(EscapeChecks.HostPidKey)),
        "ptrace-mini" => Ptrace(this.TargetInt(EscapeChecks.OtherMiniPidKey)),
        "read-host-environ" => ReadProcList($"/proc/{this.TargetInt(EscapeChecks.HostPidKey)}/environ"),
        "read-host-mem" => ReadMemory(this.TargetInt(EscapeChecks.HostPidKey)),
        "read-host-cmdline" => ReadProcList($"/proc/{this.TargetInt(EscapeChecks.HostPidKey)}/cmdline"),
        "read-mini-environ" => ReadProcList($"/proc/{this.TargetInt(EscapeChecks.OtherMiniPidKey)}/environ"),
        "read-mini-stdin" => OpenStandardInput(this.TargetInt(EscapeChecks.OtherMiniPidKey)),
        "tcp-connect" => TcpConnect(this.TargetInt(EscapeChecks.TcpPortKey)),
        "udp-send" => UdpSend(this.TargetInt(EscapeChecks.UdpPortKey)),
        "chmod-data-file" => ChangeMetadata(Libc.Chmod(this.Target(EscapeChecks.DataFileKey), Convert.ToInt32("666", 8)), $"chmod {this.Target(EscapeChecks.DataFileKey)} 0666"),
        "chown-data-file" => ChangeMetadata(Libc.Chown(this.Target(EscapeChecks.DataFileKey), Libc.GetUid(), Libc.GetGid()), $"chown {this.Target(EscapeChecks.DataFileKey)} {Libc.GetUid()}:{Libc.GetGid()}"),
        "set-xattr-data-file" => ChangeMetadata(Libc.SetXattr(this.Target(EscapeChecks.DataFileKey), EscapeChecks.ExtendedAttributeName, [(byte)'1'], 1, 0), $"setxattr {this.Target(EscapeChecks.DataFileKey)} {EscapeChecks.ExtendedAttributeName}"),
        "utimes-data-file" => ChangeMetadata(Libc.UtimensAt(Libc.AtFdCwd, this.Target(EscapeChecks.DataFileKey), 0, 0), $"utimensat(AT_FDCWD, {this.Target(EscapeChecks.DataFileKey)}, now)"),
        "prlimit-host" => PrlimitHost(this.TargetInt(EscapeChecks.HostPidKey)),
        "dgram-sendto" => DatagramTo(this.Target(EscapeChecks.DatagramSocketKey), connect: false),
        "dgram-connect" => DatagramTo(this.Target(EscapeChecks.DatagramSocketKey), connect: true),
        "dgram-raw-sendto" => DatagramTo(this.Target(EscapeChecks.DatagramSocketKey), connect: false, type: 3 /* SOCK_RAW: the kernel makes it a datagram pair */),
        "shm-attach" => AttachSharedMemory(this.TargetInt(EscapeChecks.SharedMemoryKey)),
        "control-own-fchmod" => FChmodOwnFile(Path.GetTempPath()),
        "control-own-sandbox" => WriteReadDelete(launch.SandboxDirectory),
        "control-own-temp" => WriteReadDelete(Path.GetTempPath()),
        _ => EscapeChecks.ErrorPrefix + "no such check",
    };

    private TaskCompletionSource<RpcFrames.Message> Reply(long id) =>
        this.replies.GetOrAdd(id, _ => new TaskCompletionSource<RpcFrames.Message>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Calls a main-side event and waits for its answer (15 s at most: the host must not be able to hang the attack).</summary>
    private async Task<RpcFrames.Message> CallAsync(string eventId, Bundle? request)
    {
        long id = c.NextId();
        Task<RpcFrames.Message> reply = this.Reply(id).Task;
        await c.SendAsync(RpcFrames.Call(id, eventId, 10_000, BundleCodec.Encode(request, BundleLimits.Default), 0)).ConfigureAwait(false);
        return await reply.WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
    }
}
