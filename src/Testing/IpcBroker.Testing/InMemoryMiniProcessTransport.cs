using System.Collections.Concurrent;
using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.MiniProcess;
using IpcBroker.Plugins;
using Microsoft.Extensions.Logging;
using Nerdbank.Streams;

namespace IpcBroker.Testing;

/// <summary>
/// The host's transport in memory: each mini "process" is a mini-side connection served in the test process over an
/// in-memory duplex pair, with the test's mini plugins; the host's logic above it is the real one.
/// </summary>
/// <remarks>Thread-safe. Disposal fails the connects not yet done; processes already connected end when the host stops them.</remarks>
internal sealed class InMemoryMiniProcessTransport(Action<string, IpcEventRegistry, IMainProcessCaller>? configureMiniPlugins, IpcConnectionOptions miniConnection, ILoggerFactory loggers) : IMiniProcessTransport
{
    /// <summary>The first made-up process id: far above the pids of this machine's real processes, so none is mistaken for one.</summary>
    private const int FirstProcessId = 4_000_000;

    private readonly ConcurrentDictionary<int, InMemoryMiniProcess> processes = new();
    private int lastProcessId = FirstProcessId;
    private volatile bool disposed;

    /// <inheritdoc/>
    public string Address => "in-memory";

    /// <inheritdoc/>
    public MiniProcessProtections Protections { get; } = new(0, false, false, false, "none", false, ["in memory: the mini side runs in the test process, with no process of its own to protect"]);

    /// <summary>Gets the mini side's way to the main process of the process <paramref name="processId"/>, or null.</summary>
    /// <param name="processId">The made-up process id.</param>
    /// <returns>The caller.</returns>
    public IMainProcessCaller? CallerOf(int processId) => this.processes.TryGetValue(processId, out InMemoryMiniProcess? process) ? process.Caller : null;

    /// <inheritdoc/>
    public IMiniProcess Launch(MiniAppKey key, string? sandboxDirectory)
    {
        ObjectDisposedException.ThrowIf(this.disposed, this);
        var process = new InMemoryMiniProcess(Interlocked.Increment(ref this.lastProcessId));
        // Kept after it ends (a test broker lives for one test): a test may still hold its mini program and call from it.
        this.processes[process.ProcessId] = process;
        return process;
    }

    /// <inheritdoc/>
    public async Task<MiniProcessLink> ConnectAsync(IMiniProcess process, MiniAppKey key, string? sandboxDirectory, CancellationToken revoked)
    {
        var mini = (InMemoryMiniProcess)process;
        ObjectDisposedException.ThrowIf(this.disposed, this);
        revoked.ThrowIfCancellationRequested();
        if (mini.Exited.IsCompleted)
        {
            throw new MiniAppStartException($"{key} did not start: its process {mini.ProcessId} ended before connecting.");
        }

        (Stream mainEnd, Stream miniEnd) = FullDuplexStream.CreatePair();
        var registry = new IpcEventRegistry(IpcSide.Mini);
        IpcConnection connection = IpcConnection.Start(miniEnd, registry, new IpcCaller(IpcSide.Main, key.AppId, key.VerType, Environment.ProcessId), miniConnection, loggers.CreateLogger("IpcBroker.Testing.Mini." + key.AppId));
        try
        {
            // The registry is consulted per call, so plugins registered now serve the first call already.
            configureMiniPlugins?.Invoke(key.AppId, registry, new ConnectionCaller(connection));
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            await mainEnd.DisposeAsync().ConfigureAwait(false);
            throw new MiniAppStartException($"{key} did not start: registering its mini plugins threw {ex.GetType().Name}: {ex.Message}");
        }

        if (!mini.TryAttach(connection, miniEnd))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            await mainEnd.DisposeAsync().ConfigureAwait(false);
            throw new MiniAppStartException($"{key} did not start: its process {mini.ProcessId} ended before connecting.");
        }

        return new MiniProcessLink(mainEnd, mini.ProcessId, PeerUserId: null);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        this.disposed = true;
        return ValueTask.CompletedTask;
    }
}
