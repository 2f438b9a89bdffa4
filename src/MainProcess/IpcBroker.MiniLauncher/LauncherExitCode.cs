namespace IpcBroker.MiniLauncher;

/// <summary>
/// The launcher's exit codes (contract: 120–127), one per step, so that the host can tell which protection could not
/// be applied without parsing stderr. A program that was executed exits with its own codes instead.
/// </summary>
internal enum LauncherExitCode
{
    /// <summary>The command line is malformed.</summary>
    BadArguments = 120,

    /// <summary>The Landlock ruleset could not be built or enforced.</summary>
    Landlock = 121,

    /// <summary>The seccomp filter could not be installed, or this architecture has none.</summary>
    Seccomp = 122,

    /// <summary>Joining a cgroup failed.</summary>
    Cgroup = 123,

    /// <summary>A resource limit could not be set.</summary>
    ResourceLimit = 124,

    /// <summary>Connecting the host socket or handing over descriptors failed.</summary>
    Descriptors = 125,

    /// <summary>no_new_privs or dropping capabilities failed.</summary>
    Privileges = 126,

    /// <summary>The program could not be executed.</summary>
    Exec = 127,
}
