using System.Globalization;

namespace IpcBroker.MainProcess.Hosting.Sandbox;

/// <summary>
/// The arguments of <c>IpcBroker.MiniLauncher</c> for one mini process (the launcher's usage:
/// <c>[--connect SOCKET] [--landlock ABI] [--seccomp] [--network] [--ro PATH]... [--rw PATH]... [--cgroup DIR]...
/// [--rlimit NAME=VALUE]... -- PROGRAM [ARG]...</c>).
/// </summary>
/// <param name="LauncherDll">The launcher's dll (the dotnet host runs it; it comes first).</param>
/// <param name="Socket">The host's socket, which the launcher connects and leaves at fd 3.</param>
/// <param name="LandlockAbi">The Landlock ABI to apply, 0 for none.</param>
/// <param name="Seccomp">Whether to apply the seccomp filter.</param>
/// <param name="Network">Whether the mini process may open network connections.</param>
/// <param name="ReadOnly">The paths it may read and execute.</param>
/// <param name="ReadWrite">The paths it may read and write.</param>
/// <param name="Cgroups">The cgroup directories it joins.</param>
/// <param name="ResourceLimits">The rlimits, name (<c>nofile</c>, <c>core</c>, …) to value.</param>
/// <param name="Program">The mini program's executable, an absolute path (the launcher <c>execve</c>s it without searching).</param>
/// <param name="ProgramArguments">Its arguments.</param>
internal sealed record LauncherCommandLine(
    string LauncherDll,
    string Socket,
    int LandlockAbi,
    bool Seccomp,
    bool Network,
    IReadOnlyList<string> ReadOnly,
    IReadOnlyList<string> ReadWrite,
    IReadOnlyList<string> Cgroups,
    IReadOnlyList<KeyValuePair<string, long>> ResourceLimits,
    string Program,
    IReadOnlyList<string> ProgramArguments)
{
    /// <summary>Gets the arguments to give the dotnet host, the launcher's dll first.</summary>
    /// <returns>The argument list, one element per argument (no quoting: they go to <c>ProcessStartInfo.ArgumentList</c>).</returns>
    public List<string> ToArguments()
    {
        List<string> arguments = [this.LauncherDll, "--connect", this.Socket];
        if (this.LandlockAbi > 0)
        {
            arguments.Add("--landlock");
            arguments.Add(this.LandlockAbi.ToString(CultureInfo.InvariantCulture));
        }

        if (this.Seccomp)
        {
            arguments.Add("--seccomp");
        }

        if (this.Network)
        {
            arguments.Add("--network");
        }

        foreach (string path in this.ReadOnly.Distinct(StringComparer.Ordinal))
        {
            arguments.Add("--ro");
            arguments.Add(path);
        }

        foreach (string path in this.ReadWrite.Distinct(StringComparer.Ordinal))
        {
            arguments.Add("--rw");
            arguments.Add(path);
        }

        foreach (string directory in this.Cgroups)
        {
            arguments.Add("--cgroup");
            arguments.Add(directory);
        }

        foreach ((string name, long value) in this.ResourceLimits)
        {
            arguments.Add("--rlimit");
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={value}"));
        }

        arguments.Add("--");
        arguments.Add(this.Program);
        arguments.AddRange(this.ProgramArguments);
        return arguments;
    }
}
