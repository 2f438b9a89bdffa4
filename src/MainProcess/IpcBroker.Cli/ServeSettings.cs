namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// What <c>serve</c> runs, from its options and its <c>--config FILE</c> (<see cref="ServeConfigFile"/>): a setting not
/// given is null and takes <c>serve</c>'s default.
/// </summary>
/// <param name="MiniPath">The mini program executable (<c>--mini</c>): a .dll or a native executable; null: the sample mini program.</param>
/// <param name="DataDirectory">The data directory (<c>--data</c>).</param>
/// <param name="User">The signed-in user (<c>--user</c>).</param>
/// <param name="MaxMiniProcesses">The most mini processes at once (<c>--max</c>).</param>
/// <param name="PolicyPath">The policy file (<c>--policy</c>, <see cref="PolicyFile"/>).</param>
/// <param name="Packages">The mini programs written in JavaScript to map (<c>--package</c>, repeatable; the file's <c>packages</c>): package directories.</param>
internal sealed record ServeSettings(string? MiniPath, string? DataDirectory, string? User, int? MaxMiniProcesses, string? PolicyPath, IReadOnlyList<string>? Packages = null)
{
    /// <summary>Gets no settings: every one takes its default.</summary>
    public static ServeSettings None { get; } = new(null, null, null, null, null);

    /// <summary>
    /// Gets these settings, each one not given taken from <paramref name="fallback"/> (the options over the config file); the
    /// packages of both are mapped, <paramref name="fallback"/>'s first (a later package of the same appId replaces an earlier one).
    /// </summary>
    /// <param name="fallback">The settings beneath.</param>
    /// <returns>The merged settings.</returns>
    public ServeSettings Over(ServeSettings fallback) => new(
        this.MiniPath ?? fallback.MiniPath,
        this.DataDirectory ?? fallback.DataDirectory,
        this.User ?? fallback.User,
        this.MaxMiniProcesses ?? fallback.MaxMiniProcesses,
        this.PolicyPath ?? fallback.PolicyPath,
        this.Packages is null ? fallback.Packages : fallback.Packages is null ? this.Packages : [.. fallback.Packages, .. this.Packages]);

    /// <summary>Checks that <paramref name="path"/> can be a mini program executable, before the host starts.</summary>
    /// <param name="path">The <c>--mini</c> path.</param>
    /// <returns>Its full path.</returns>
    /// <exception cref="CliException">When it is missing, a directory, or a native file without execute permission.</exception>
    public static string CheckMiniExecutable(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CliException($"the mini program '{path}' is a directory: --mini takes a .dll or a native executable");
        }

        if (!File.Exists(full))
        {
            throw new CliException($"the mini program '{path}' does not exist: --mini takes a .dll or a native executable");
        }

        // A .dll is run by the dotnet host; anything else is exec'd, so it must be executable by this user.
        if (!OperatingSystem.IsWindows() && !full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            && (File.GetUnixFileMode(full) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            throw new CliException($"the mini program '{path}' is not executable: --mini takes a .dll or a native executable");
        }

        return full;
    }
}
