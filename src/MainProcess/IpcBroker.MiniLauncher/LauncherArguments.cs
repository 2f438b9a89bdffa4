using System.Globalization;

namespace IpcBroker.MiniLauncher;

/// <summary>
/// The launcher's command line:
/// <c>[--connect SOCKET] [--landlock ABI] [--seccomp] [--network] [--ro PATH]... [--rw PATH]... [--cgroup DIR]...
/// [--rlimit NAME=VALUE]... -- PROGRAM [ARG]...</c>.
/// </summary>
internal sealed class LauncherArguments
{
    private LauncherArguments(string program, IReadOnlyList<string> programArguments)
    {
        this.Program = program;
        this.ProgramArguments = programArguments;
    }

    /// <summary>Gets the path of the Unix socket to connect and hand over as fd 3, if any.</summary>
    public string? ConnectSocket { get; private init; }

    /// <summary>Gets the Landlock ABI whose rights the ruleset handles; null applies no Landlock.</summary>
    public int? LandlockAbi { get; private init; }

    /// <summary>Gets a value indicating whether to install the seccomp filter.</summary>
    public bool Seccomp { get; private init; }

    /// <summary>Gets a value indicating whether the program may use the network (TCP, IP and netlink sockets).</summary>
    public bool Network { get; private init; }

    /// <summary>Gets the paths granted read and execute.</summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; private init; } = [];

    /// <summary>Gets the paths granted every file-system right.</summary>
    public IReadOnlyList<string> ReadWritePaths { get; private init; } = [];

    /// <summary>Gets the cgroup directories to join.</summary>
    public IReadOnlyList<string> Cgroups { get; private init; } = [];

    /// <summary>Gets the resource limits to set (soft = hard).</summary>
    public IReadOnlyList<ResourceLimit> ResourceLimits { get; private init; } = [];

    /// <summary>Gets the program to execute.</summary>
    public string Program { get; }

    /// <summary>Gets the program's arguments (without argv[0]).</summary>
    public IReadOnlyList<string> ProgramArguments { get; }

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The launcher's arguments.</param>
    /// <returns>The parsed arguments.</returns>
    /// <exception cref="LaunchStepException">With <see cref="LauncherExitCode.BadArguments"/>: the line is malformed.</exception>
    public static LauncherArguments Parse(IReadOnlyList<string> args)
    {
        string? connect = null;
        int? landlock = null;
        bool seccomp = false, network = false;
        List<string> readOnly = [], readWrite = [], cgroups = [];
        List<ResourceLimit> limits = [];
        int i = 0;
        while (i < args.Count && args[i] != "--")
        {
            string option = args[i++];
            switch (option)
            {
                case "--seccomp":
                    seccomp = true;
                    break;
                case "--network":
                    network = true;
                    break;
                case "--connect":
                    if (connect is not null)
                    {
                        throw Bad("--connect is given twice");
                    }

                    connect = AbsolutePath(option, Value(args, ref i, option));
                    break;
                case "--landlock":
                    if (landlock is not null)
                    {
                        throw Bad("--landlock is given twice");
                    }

                    string abi = Value(args, ref i, option);
                    landlock = int.TryParse(abi, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) && parsed >= 1
                        ? parsed
                        : throw Bad($"--landlock needs an ABI version >= 1, not '{abi}'");
                    break;
                case "--ro":
                    readOnly.Add(AbsolutePath(option, Value(args, ref i, option)));
                    break;
                case "--rw":
                    readWrite.Add(AbsolutePath(option, Value(args, ref i, option)));
                    break;
                case "--cgroup":
                    cgroups.Add(AbsolutePath(option, Value(args, ref i, option)));
                    break;
                case "--rlimit":
                    limits.Add(ResourceLimit.Parse(Value(args, ref i, option)) ?? throw Bad($"--rlimit needs NAME=VALUE with NAME in {ResourceLimit.Names}, VALUE a number or 'unlimited'"));
                    break;
                default:
                    throw Bad($"unknown option '{option}'");
            }
        }

        if (i >= args.Count)
        {
            throw Bad("'-- PROGRAM [ARG]...' is missing");
        }

        if (i + 1 >= args.Count || args[i + 1].Length == 0)
        {
            throw Bad("no PROGRAM after '--'");
        }

        return new LauncherArguments(args[i + 1], [.. args.Skip(i + 2)])
        {
            ConnectSocket = connect,
            LandlockAbi = landlock,
            Seccomp = seccomp,
            Network = network,
            ReadOnlyPaths = readOnly,
            ReadWritePaths = readWrite,
            Cgroups = cgroups,
            ResourceLimits = limits,
        };
    }

    private static string Value(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i >= args.Count || args[i] == "--")
        {
            throw Bad($"{option} needs a value");
        }

        return args[i++];
    }

    private static string AbsolutePath(string option, string path) =>
        path.StartsWith('/') ? path : throw Bad($"{option} needs an absolute path, not '{path}'");

    private static LaunchStepException Bad(string message) =>
        new(LauncherExitCode.BadArguments, $"{message}. Usage: IpcBroker.MiniLauncher [--connect SOCKET] [--landlock ABI] [--seccomp] [--network] [--ro PATH]... [--rw PATH]... [--cgroup DIR]... [--rlimit NAME=VALUE]... -- PROGRAM [ARG]...");
}
