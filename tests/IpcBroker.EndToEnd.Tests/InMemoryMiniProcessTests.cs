using IpcBroker.MainProcess.Hosting;
using IpcBroker.Plugins;
using IpcBroker.Testing;
using IpcBroker.Tests;

namespace IpcBroker.EndToEnd.Tests;

/// <summary>The in-memory transport's mini "process": a stop ends its mini side in order, a kill abruptly, and it ends once.</summary>
public sealed class InMemoryMiniProcessTests(ITestOutputHelper output) : TestBase(output)
{
    private static readonly MiniAppKey Key = new("wx-mem", MiniAppVerType.Release);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AKillEndsTheMiniSideAndTheProcessEndsOnceWithTheKillsCode()
    {
        await using var transport = new InMemoryMiniProcessTransport(null, IpcConnectionOptions.Default, this.LoggerFactory);
        (IMiniProcess process, IpcConnection main) = await this.ConnectAsync(transport);
        await using IpcConnection _ = main;

        process.Kill();
        await this.WithTimeoutAsync(process.Exited);
        await this.WithTimeoutAsync(main.Completion);
        await this.WithTimeoutAsync(process.StopAsync(Patience, Patience, this.Logger));

        Assert.Equal(137, process.ExitCode);
        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(main.CallAsync("any", null))).ErrorCode);
    }

    [Fact]
    public async Task AStopEndsTheMiniSideInOrderAndALaterKillChangesNothing()
    {
        await using var transport = new InMemoryMiniProcessTransport(null, IpcConnectionOptions.Default, this.LoggerFactory);
        (IMiniProcess process, IpcConnection main) = await this.ConnectAsync(transport);
        await using IpcConnection _ = main;

        await this.WithTimeoutAsync(process.StopAsync(Patience, Patience, this.Logger));
        process.Kill();
        await this.WithTimeoutAsync(main.Completion);

        Assert.True(process.Exited.IsCompletedSuccessfully);
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task LikeARealMiniProcessItEndsWhenItsSessionEnds()
    {
        await using var transport = new InMemoryMiniProcessTransport(null, IpcConnectionOptions.Default, this.LoggerFactory);
        (IMiniProcess process, IpcConnection main) = await this.ConnectAsync(transport);

        await main.DisposeAsync();
        await this.WithTimeoutAsync(process.Exited);

        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task AProcessThatEndedBeforeConnectingDoesNotConnect()
    {
        await using var transport = new InMemoryMiniProcessTransport(null, IpcConnectionOptions.Default, this.LoggerFactory);
        IMiniProcess process = transport.Launch(Key, null);

        process.Kill();
        await this.WithTimeoutAsync(process.Exited);

        await Assert.ThrowsAsync<MiniAppStartException>(() => this.WithTimeoutAsync(transport.ConnectAsync(process, Key, null, CancellationToken.None)));
        Assert.Equal(137, process.ExitCode);
    }

    private Microsoft.Extensions.Logging.ILogger Logger => this.LoggerFactory.CreateLogger("test");

    private async Task<(IMiniProcess Process, IpcConnection Main)> ConnectAsync(InMemoryMiniProcessTransport transport)
    {
        IMiniProcess process = transport.Launch(Key, null);
        MiniProcessLink link = await this.WithTimeoutAsync(transport.ConnectAsync(process, Key, null, CancellationToken.None));
        Assert.Equal((process.ProcessId, (uint?)null), (link.PeerProcessId, link.PeerUserId));
        IpcConnection main = IpcConnection.Start(link.Stream, new IpcEventRegistry(IpcSide.Main), new IpcCaller(IpcSide.Mini, Key.AppId, Key.VerType, link.PeerProcessId));
        return (process, main);
    }
}
