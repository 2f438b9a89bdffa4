using IpcBroker.MiniLauncher;

// The launcher's steps, in the contract's order, all on this (the main) thread: Landlock, seccomp, capabilities and
// no_new_privs are per thread, and execve carries the calling thread's state to the program.
try
{
    LauncherArguments arguments = LauncherArguments.Parse(args);

    // What the steps after Landlock need is made before it: they may not be able to load anything from the runtime's
    // directory (a node mini is not granted the dotnet root).
    ProgramExecution execution = ProgramExecution.Prepare(arguments.Program, arguments.ProgramArguments);
    byte[]? seccompFilter = arguments.Seccomp ? SeccompFilter.BuildForThisProcess(arguments.Network) : null;

    // 1. cgroups, 2. resource limits.
    CgroupMembership.Join(arguments.Cgroups);
    foreach (ResourceLimit limit in arguments.ResourceLimits)
    {
        limit.Apply();
    }

    // 3. The connection to the host (it goes to fd 3 just before execve); nothing else above the standard
    // descriptors is inherited.
    int? hostConnection = arguments.ConnectSocket is null ? null : HostSocketHandOver.Connect(arguments.ConnectSocket);
    HostSocketHandOver.MarkCloseOnExecFrom(HostSocketHandOver.SocketDescriptor);

    // 4. no_new_privs, no capabilities.
    PrivilegeDrop.Apply();

    // 5. Landlock.
    if (arguments.LandlockAbi is int abi)
    {
        using LandlockRuleset ruleset = LandlockRuleset.Create(abi, arguments.Network);
        LandlockBaseline.AddTo(ruleset, arguments.Network);
        foreach (string path in arguments.ReadOnlyPaths)
        {
            ruleset.Allow(path, LandlockAccess.ReadOnly, required: true);
        }

        foreach (string path in arguments.ReadWritePaths)
        {
            ruleset.Allow(path, LandlockAccess.FileSystemRights(abi), required: true);
        }

        ruleset.Restrict();
    }

    // 6. seccomp.
    if (seccompFilter is not null)
    {
        SeccompFilter.Install(seccompFilter);
    }

    // 7. execve; returns only on failure.
    if (hostConnection is int connection)
    {
        HostSocketHandOver.MoveToDescriptor3(connection);
    }

    execution.Execute();
    return (int)LauncherExitCode.Exec;
}
catch (LaunchStepException e)
{
    LauncherDiagnostics.Report(e.Message);
    return (int)e.ExitCode;
}
