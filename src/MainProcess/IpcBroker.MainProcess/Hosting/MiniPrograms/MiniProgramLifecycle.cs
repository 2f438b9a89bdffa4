using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using IpcBroker.MiniPrograms;
using Microsoft.Extensions.Logging;

namespace IpcBroker.MainProcess.Hosting.MiniPrograms;

/// <summary>
/// The host's side of mini programs written in JavaScript: which appId runs which package (<see cref="MiniAppHostOptions.MiniPrograms"/>,
/// <see cref="MiniAppHost.AddMiniProgram"/>), the <see cref="MiniProgramEvents.Launch"/> of a new session of a mapped appId,
/// and the <see cref="MiniProgramEvents.Show"/> of a reopened one.
/// </summary>
/// <remarks>
/// <para>Thread-safe. The package is read anew at each launch (a developer's edit shows at the next open), on the start's
/// own task, never under the host's lock.</para>
/// <para>A launch is part of its start: it runs before the session is registered, within what is left of the start's
/// deadline, and is cancelled by what revokes starts (a logout, the host's disposal); a start that fails here fails once,
/// like any start, and its process is stopped by the start's own cleanup.</para>
/// </remarks>
internal sealed class MiniProgramLifecycle
{
    /// <summary>How long a reopened mini program's <c>onShow</c> may take before its call is given up (and logged).</summary>
    internal static readonly TimeSpan ShowTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, string> packages = new(StringComparer.Ordinal);

    /// <summary>The sessions whose mini program was launched; only those are sent <see cref="MiniProgramEvents.Show"/>.</summary>
    private readonly ConditionalWeakTable<MiniAppSession, object> launched = [];

    private readonly ILogger logger;

    /// <summary>Maps the packages of <paramref name="miniPrograms"/>, each read once to check that its key is its appId.</summary>
    /// <param name="miniPrograms">AppId → package directory, from the options.</param>
    /// <param name="logger">The host's logger.</param>
    /// <exception cref="IpcConfigurationException">When a package breaks a rule or its appId is not its key.</exception>
    public MiniProgramLifecycle(IEnumerable<KeyValuePair<string, string>> miniPrograms, ILogger logger)
    {
        this.logger = logger;
        foreach ((string appId, string directory) in miniPrograms)
        {
            MiniProgramPackage package;
            try
            {
                package = MiniProgramPackage.Read(Path.GetFullPath(directory));
            }
            catch (Exception ex) when (ex is MiniProgramPackageException or ArgumentException)
            {
                throw new IpcConfigurationException($"MiniPrograms[{appId}]: {ex.Message}");
            }

            if (package.AppId != appId)
            {
                throw new IpcConfigurationException($"MiniPrograms[{appId}]: the package '{directory}' is the mini program '{package.AppId}' (its app.json), not '{appId}'.");
            }

            this.packages[appId] = Path.GetFullPath(directory);
            HostLog.MiniProgramMapped(logger, appId, this.packages[appId]);
        }
    }

    /// <summary>Gets or sets how a package is read at each launch (tests replace it to fail a read the file system cannot be made to fail).</summary>
    internal Func<string, MiniProgramPackage> ReadPackage { get; set; } = MiniProgramPackage.Read;

    /// <summary>Gets the appIds mapped to packages, and their directories.</summary>
    public IReadOnlyDictionary<string, string> Packages => new Dictionary<string, string>(this.packages, StringComparer.Ordinal);

    /// <summary>Reads the package in <paramref name="directory"/> and maps its appId to it (replacing an earlier mapping of that appId).</summary>
    /// <param name="directory">The package's directory.</param>
    /// <returns>The appId.</returns>
    /// <exception cref="MiniProgramPackageException">When the package breaks a rule.</exception>
    public string Map(string directory)
    {
        string full = Path.GetFullPath(directory);
        MiniProgramPackage package = MiniProgramPackage.Read(full);
        this.packages[package.AppId] = full;
        HostLog.MiniProgramMapped(this.logger, package.AppId, full);
        return package.AppId;
    }

    /// <summary>
    /// When <paramref name="session"/>'s appId is mapped: reads its package and sends it <see cref="MiniProgramEvents.Launch"/>,
    /// waiting until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp) at most. Does nothing for an unmapped appId.
    /// </summary>
    /// <param name="session">The new session, not yet registered.</param>
    /// <param name="deadline">When the start's time is up.</param>
    /// <param name="maxCallTimeout">The longest call the connection accepts.</param>
    /// <param name="revoked">Cancelled when the start is revoked (logout, disposal).</param>
    /// <returns>A task that completes once the mini program has launched.</returns>
    /// <exception cref="MiniAppStartException">When the package cannot be read, or the mini program did not launch in time or refused to.</exception>
    public async Task LaunchIfMappedAsync(MiniAppSession session, long deadline, TimeSpan maxCallTimeout, CancellationToken revoked)
    {
        MiniAppKey key = session.Key;
        if (!this.packages.TryGetValue(key.AppId, out string? directory))
        {
            return;
        }

        MiniProgramPackage package;
        try
        {
            package = this.ReadPackage(directory);
        }
        catch (MiniProgramPackageException ex)
        {
            HostLog.LaunchFailed(this.logger, key, session.Process.ProcessId, ex.Message);
            throw new MiniAppStartException($"{key} did not start: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // What the reader does not turn into a broken rule (an I/O error of the disk, a permission taken away).
            string reason = $"the mini program package '{directory}' cannot be read ({ex.Message})";
            HostLog.LaunchFailed(this.logger, key, session.Process.ProcessId, reason);
            throw new MiniAppStartException($"{key} did not start: {reason}.");
        }

        if (package.AppId != key.AppId)
        {
            // Edited since it was mapped: launching it under this appId would hand one mini program another's code.
            string reason = $"the package '{directory}' is now the mini program '{package.AppId}' (its app.json), not '{key.AppId}'";
            HostLog.LaunchFailed(this.logger, key, session.Process.ProcessId, reason);
            throw new MiniAppStartException($"{key} did not start: {reason}.");
        }

        TimeSpan remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            HostLog.LaunchFailed(this.logger, key, session.Process.ProcessId, "no time was left of the start's deadline");
            throw new MiniAppStartException($"{key} did not start: its process connected, but no time was left of the start's deadline to launch its mini program.");
        }

        HostLog.Launching(this.logger, key, session.Process.ProcessId, directory, package.Files.Count, package.TotalBytes, package.Entry);
        long began = Stopwatch.GetTimestamp();
        var callOptions = new IpcCallOptions { Timeout = remaining < maxCallTimeout ? remaining : maxCallTimeout, CancellationToken = revoked };
        IpcResult result = await session.Connection.CallAsync(MiniProgramEvents.Launch, package.ToLaunchRequest(), callOptions).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            string reason = $"{result.ErrorCode}: {Clean(result.ErrorMessage).TrimEnd('.')}";
            HostLog.LaunchFailed(this.logger, key, session.Process.ProcessId, reason);
            throw new MiniAppStartException($"{key} did not start: its mini program did not launch ({reason}).");
        }

        this.launched.AddOrUpdate(session, new object());
        HostLog.Launched(this.logger, key, session.Process.ProcessId, (long)Stopwatch.GetElapsedTime(began).TotalMilliseconds);
    }

    /// <summary>
    /// When <paramref name="session"/>'s mini program was launched: sends it <see cref="MiniProgramEvents.Show"/> in the
    /// background, bounded by <see cref="ShowTimeout"/> or the connection's longest call when that is shorter; a failure is
    /// logged, never thrown.
    /// </summary>
    /// <param name="session">The reopened session.</param>
    /// <param name="maxCallTimeout">The longest call the connection accepts.</param>
    /// <returns>The call's task, for the tests; it never faults.</returns>
    public Task ShowIfLaunchedAsync(MiniAppSession session, TimeSpan maxCallTimeout)
    {
        if (!this.launched.TryGetValue(session, out _))
        {
            return Task.CompletedTask;
        }

        return this.ShowAsync(session, maxCallTimeout < ShowTimeout ? maxCallTimeout : ShowTimeout);
    }

    /// <summary>A mini program's own words, made safe for a log line and an exception message: cut, and without control characters.</summary>
    internal static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "(no reason given)";
        }

        string cut = text.Length <= MiniProgramOutputLine.MaxTextLength ? text : text[..MiniProgramOutputLine.MaxTextLength] + "…";
        return string.Create(cut.Length, cut, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') ? '?' : c;
            }
        });
    }

    private async Task ShowAsync(MiniAppSession session, TimeSpan timeout)
    {
        IpcResult result = await session.Connection.CallAsync(MiniProgramEvents.Show, null, new IpcCallOptions { Timeout = timeout }).ConfigureAwait(false);
        if (result.IsSuccess)
        {
            HostLog.Shown(this.logger, session.Key, session.Process.ProcessId);
        }
        else if (session.State != MiniAppState.Running)
        {
            // The host stopped the mini program while its onShow ran (a stop, a logout, the cap): expected, not a fault.
            HostLog.ShowEndedByStop(this.logger, session.Key, session.Process.ProcessId, $"{result.ErrorCode}: {Clean(result.ErrorMessage).TrimEnd('.')}");
        }
        else
        {
            HostLog.ShowFailed(this.logger, session.Key, session.Process.ProcessId, $"{result.ErrorCode}: {Clean(result.ErrorMessage).TrimEnd('.')}");
        }
    }
}
