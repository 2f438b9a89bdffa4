namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>How much of the operating system's sandbox a host insists on for its mini processes.</summary>
public enum MiniSandboxMode
{
    /// <summary>Apply every protection this machine offers, and log (Warning) each one it lacks.</summary>
    Auto,

    /// <summary>
    /// Start no mini process unless the launcher, Landlock ABI 6 or later and seccomp are all available: a start fails
    /// with a <see cref="MiniAppStartException"/> naming what is missing.
    /// </summary>
    Required,

    /// <summary>
    /// No launcher and no kernel protections. The clean environment, working directory and scratch directory still apply.
    /// </summary>
    Off,
}
