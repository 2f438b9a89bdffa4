using System.Runtime.InteropServices;
using System.Security.Cryptography;
using IpcBroker.MainProcess.Demo;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.MiniPrograms;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nerdbank.Streams;

namespace IpcBroker.MainProcess.Cli;

/// <summary>
/// <c>serve</c>: a host with the sample plugins (user data, open APIs over SQLite, the sample payment provider) until
/// Ctrl+C or SIGTERM, with a control socket for the other verbs, found through a connection file; with
/// <c>--policy FILE</c>, under that <see cref="MiniAppPolicy"/> (<see cref="PolicyFile"/>); with <c>--mini PATH</c>, that
/// executable is every mini program (a test harness drives its own); <c>--config FILE</c> gives the same settings
/// (<see cref="ServeConfigFile"/>).
/// </summary>
/// <remarks>
/// The control socket lives in a private directory of its own beside the connection file
/// (<see cref="ControlSocketLocation"/>), not in the pipe directory the mini processes connect to, and the control server
/// refuses any peer inside a mini process (<see cref="ControlPeerCheck"/>).
/// </remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class ServeCommand
{
    /// <summary>The log category of what mini programs written in JavaScript log through <c>console</c>.</summary>
    public const string MiniProgramLogCategory = "IpcBroker.MiniProgram";

    /// <summary>Runs the host until SIGINT or SIGTERM.</summary>
    /// <param name="settings">The options over the config file; each one not given takes its default.</param>
    /// <param name="connectionPath">Where to write the connection file.</param>
    /// <param name="output">Where the banner and the transcript go.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(ServeSettings settings, string connectionPath, TextWriter output)
    {
        // The mini program first: a wrong path is the one mistake a harness makes most, and it must not wait for a start.
        string? miniPath = settings.MiniPath is { } mini ? ServeSettings.CheckMiniExecutable(mini) : null;
        string dataDirectory = settings.DataDirectory ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "IpcBroker");
        string user = settings.User ?? "u-1001";
        int max = settings.MaxMiniProcesses ?? 5;
        MiniAppPolicy policy = settings.PolicyPath is { } policyPath ? PolicyFile.Read(policyPath) : MiniAppPolicy.Unrestricted;
        if (File.Exists(connectionPath))
        {
            ConnectionFile previous = ConnectionFile.Read(connectionPath);
            if (IsAlive(previous.ProcessId))
            {
                throw new CliException($"a host is already serving ({connectionPath}); stop it first or pass --connection FILE");
            }

            // A host that was killed left its control directory behind.
            ControlSocketLocation.RemoveStale(connectionPath, previous.ControlPath);
        }

        try
        {
            // The store's directory holds every session key and order: the user's only (the store narrows its files).
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dataDirectory);
            }
            else
            {
                Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot use '{dataDirectory}' as the data directory: {ex.Message}");
        }

        using var stopping = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });

        await using OpenApiStore store = await OpenApiStore.OpenAsync(Path.Combine(dataDirectory, "openapi.db"));
        MiniAppHost? hostRef = null;
        var profiles = new Dictionary<string, UserProfile> { [user] = new("Ada", $"{user}@example.invalid", "+86 138 0000 0000", new byte[64 * 1024]) };
        // What mini programs written in JavaScript log is the point of running them here: shown whatever the other levels are.
        await using ServiceProvider provider = SampleHostServices.Create(new DemoTranscript(output), store, () => hostRef?.UserId, profiles)
            .AddLogging(b => b.AddFilter(MiniProgramLogCategory, LogLevel.Debug))
            .BuildServiceProvider();

        var broadcaster = new CallBroadcaster();
        var options = new MiniAppHostOptions
        {
            MaxMiniProcesses = max,
            Policy = policy,
            SandboxRoot = Path.Combine(dataDirectory, "sandboxes"),
            Connection = IpcConnectionOptions.Default with { Observer = broadcaster },
        };
        if (miniPath is not null)
        {
            options = options with { MiniExecutablePath = miniPath };
        }

        await using MiniAppHost host = MiniAppHost.Start(provider.CreateRegistry(IpcSide.Main), options, provider.GetRequiredService<ILoggerFactory>());
        hostRef = host;
        foreach (string package in settings.Packages ?? [])
        {
            try
            {
                host.AddMiniProgram(package);
            }
            catch (MiniProgramPackageException ex)
            {
                throw new CliException(ex.Message);
            }
        }

        OpenApiService openApi = provider.GetRequiredService<OpenApiService>();
        host.OnLogout(() => openApi.RevokeAllAsync());
        host.SignIn(user);

        // 'call' without --app calls the main side as a mini program would, through a real connection (in memory). The
        // policy does not apply to it: the caller is this host's operator, who passed the connection file's token.
        (Stream hostEnd, Stream cliEnd) = FullDuplexStream.CreatePair();
        await using IpcConnection hostSide = IpcConnection.Start(hostEnd, host.Registry, new IpcCaller(IpcSide.Mini, "ipcbroker-cli", MiniAppVerType.Develop, Environment.ProcessId), options.Connection);
        await using IpcConnection cliSide = IpcConnection.Start(cliEnd, new IpcEventRegistry(IpcSide.Mini), new IpcCaller(IpcSide.Main, "ipcbroker-cli", MiniAppVerType.Develop, Environment.ProcessId));

        string token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string controlPath = ControlSocketLocation.Create(connectionPath, [Path.GetDirectoryName(host.PipePath)!, options.SandboxRoot]);
        var context = new ServeContext(host, token, broadcaster, cliSide);
        Task controlLoop = new ControlServer(controlPath, context, provider.GetRequiredService<ILoggerFactory>().CreateLogger("IpcBroker.MainProcess.Control")).RunAsync(stopping.Token);
        try
        {
            new ConnectionFile(controlPath, token, Environment.ProcessId).Write(connectionPath);
            await output.WriteLineAsync($"serving as {user}: pipe {host.PipePath}, control {controlPath}, connection file {connectionPath}, data {dataDirectory}");
            await output.WriteLineAsync($"sandbox: {host.Protections.Describe()}");
            await output.WriteLineAsync($"mini programs: {options.MiniExecutablePath}");
            foreach ((string appId, string package) in host.MiniPrograms)
            {
                await output.WriteLineAsync($"mini program {appId}: JavaScript package {package}");
            }

            await output.WriteLineAsync(DiagnosticPort.Describe());
            await output.WriteLineAsync("ready (Ctrl+C to stop)");
            await Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        finally
        {
            File.Delete(connectionPath);
            await stopping.CancelAsync();
            await controlLoop.ConfigureAwait(false);
            ControlSocketLocation.Delete(controlPath);
            await output.WriteLineAsync("stopping: every mini program is stopped");
        }

        return 0;
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
