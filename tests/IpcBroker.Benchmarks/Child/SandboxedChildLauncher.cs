using IpcBroker.MainProcess.Hosting;
using IpcBroker.MainProcess.Hosting.Sandbox;
using IpcBroker.Sessions;
using Microsoft.Extensions.Logging.Abstractions;

namespace IpcBroker.Benchmarks;

/// <summary>
/// Starts a benchmark child exactly as the host starts a mini process: through the host's own transport
/// (<see cref="PipeMiniProcessTransport"/>: <see cref="MiniProcessLauncher"/>, the sandbox, the cleared environment, the
/// pre-connected socket, the launch line and the hello checked by <see cref="PipeListener"/>), so that a floor pays what
/// a mini process pays to start and to talk.
/// </summary>
internal sealed class SandboxedChildLauncher : IAsyncDisposable
{
    private readonly PipeMiniProcessTransport transport;

    /// <param name="executable">The child's .dll (started as <c>dotnet DLL</c> under the launcher, with no arguments).</param>
    /// <param name="environment">Variables the child gets on top of the mini environment.</param>
    public SandboxedChildLauncher(string executable, IReadOnlyDictionary<string, string>? environment = null)
    {
        var options = new MiniAppHostOptions
        {
            MiniExecutablePath = executable,
            Sandbox = new MiniSandboxOptions { Environment = environment ?? new Dictionary<string, string>() },
        };
        this.transport = new PipeMiniProcessTransport(options, PipeLocation.CreatePrivateSocketPath(), NullLoggerFactory.Instance);
        this.transport.Start();
    }

    /// <summary>Gets what the children get, as the host would log it.</summary>
    public string Protections => this.transport.Protections.Describe();

    /// <summary>Starts a child and waits until it is connected and admitted.</summary>
    public async Task<SandboxedChild> StartAsync(string name)
    {
        var key = new MiniAppKey(name, MiniAppVerType.Release);
        IMiniProcess process = this.transport.Launch(key, null);
        try
        {
            MiniProcessLink link = await this.transport.ConnectAsync(process, key, null, CancellationToken.None);
            return new SandboxedChild(process, link.Stream);
        }
        catch
        {
            // As the host does with a start that fails: killed, waited for, then released (its scratch directory and cgroup removed).
            // The start's own failure is what is thrown, whether or not the process is reaped in time.
            process.Kill();
            if (await Task.WhenAny(process.Exited, Task.Delay(TimeSpan.FromSeconds(10))) == process.Exited)
            {
                process.Release();
            }

            throw;
        }
    }

    public ValueTask DisposeAsync() => this.transport.DisposeAsync();
}

/// <summary>A started benchmark child and its admitted socket; disposal closes the socket and ends the process by its pid.</summary>
internal sealed class SandboxedChild(IMiniProcess process, Stream stream) : IAsyncDisposable
{
    public int ProcessId => process.ProcessId;

    public Stream Stream => stream;

    public async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync();
        await process.StopAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), NullLogger.Instance);
        process.Release();
    }
}
