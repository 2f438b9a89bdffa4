using System.Buffers.Binary;
using IpcBroker.Plugins;
using MessagePack;
using Nerdbank.Streams;
using StreamJsonRpc;

namespace IpcBroker.Tests;

public class IpcConnectionTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task MiniCallsMainAndGetsTheAnswerWithTheSessionsIdentity()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        IpcCaller? seen = null;
        pair.MainRegistry.AddHandler("OPEN_DATA_IPC_EVENT_GET_USER_ID", request =>
        {
            seen = request.Caller;
            return Task.FromResult(new Bundle().PutString("userId", "u-1").PutString("echo", request.Data.GetString("q")));
        });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("OPEN_DATA_IPC_EVENT_GET_USER_ID", new Bundle().PutString("q", "hi")));

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal("u-1", result.Data.GetString("userId"));
        Assert.Equal("hi", result.Data.GetString("echo"));
        Assert.Equal(ConnectionPair.MiniIdentity, seen);
    }

    [Fact]
    public async Task MainCallsMiniAndEveryKindRoundTrips()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MiniRegistry.AddHandler("echo", request => Task.FromResult(request.Data));

        IpcResult result = await this.WithTimeoutAsync(pair.Main.CallAsync("echo", BundleTestData.EveryKind()));

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Equal(BundleTestData.EveryKind(), result.Data);
    }

    [Fact]
    public async Task UnknownEventIsNoHandler()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("nobody.home", null));
        Assert.Equal(IpcErrorCode.NoHandler, result.ErrorCode);
        Assert.Contains("nobody.home", result.ErrorMessage);
    }

    [Fact]
    public async Task ThrowingHandlerIsHandlerFailedWithoutTypeNameOrStack()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MainRegistry.AddHandler("boom", Throw);

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("boom", null));

        Assert.Equal(IpcErrorCode.HandlerFailed, result.ErrorCode);
        Assert.DoesNotContain("secret-path", result.ErrorMessage);
        Assert.DoesNotContain("InvalidOperationException", result.ErrorMessage);
        Assert.DoesNotContain(" at ", result.ErrorMessage);
        Assert.Contains(this.Logs.Records, r => r.EventId == 1003 && r.Exception is InvalidOperationException);

        static Task<Bundle> Throw(IpcRequest request) => throw new InvalidOperationException("/home/secret-path/db is locked");
    }

    [Fact]
    public async Task FailWithCodeAndDetailCrosses()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MainRegistry.AddHandler("deny", (IpcRequest r) => { r.Fail(IpcErrorCode.Denied, "not for you", new Bundle().PutInt("reason", 3)); });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("deny", null));

        Assert.Equal(IpcErrorCode.Denied, result.ErrorCode);
        Assert.Equal("not for you", result.ErrorMessage);
        Assert.Equal(3, result.Data.GetInt("reason"));
    }

    [Fact]
    public async Task HandlerThatNeverAnswersIsTimeoutForTheCallerAndAWarningForTheHandler()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        var started = new TaskCompletionSource<IpcRequest>();
        pair.MainRegistry.AddHandler("silent", (IpcRequest r) => { started.SetResult(r); });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("silent", null, new IpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.Equal(IpcErrorCode.Timeout, result.ErrorCode);
        await this.WaitForLogAsync(r => r.EventId == 1002 && r.Message.Contains("silent"));

        // An answer after the deadline is ignored and logged, and never reaches anyone.
        IpcRequest late = await this.WithTimeoutAsync(started.Task);
        Assert.True(late.CancellationToken.IsCancellationRequested);
        Assert.False(late.Ok(new Bundle()));
        await this.WaitForLogAsync(r => r.EventId == 1001);
    }

    [Fact]
    public async Task SecondAnswerIsIgnoredAndLogged()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        bool? secondAccepted = null;
        pair.MainRegistry.AddHandler("twice", (IpcRequest r) =>
        {
            r.Ok(new Bundle().PutInt("n", 1));
            secondAccepted = r.Ok(new Bundle().PutInt("n", 2));
        });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("twice", null));

        Assert.Equal(1, result.Data.GetInt("n"));
        Assert.False(secondAccepted);
        Assert.Contains(this.Logs.Records, r => r.EventId == 1001 && r.Message.Contains("already answered"));
    }

    [Fact]
    public async Task PerEventTimeoutOnTheHandlerSideWins()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        pair.MainRegistry.Register(new SlowPlugin());

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("slow", null));

        Assert.Equal(IpcErrorCode.Timeout, result.ErrorCode);
        Assert.Contains("did not answer within 100 ms", result.ErrorMessage);
    }

    [Fact]
    public async Task PerEventTimeoutOnTheCallerSideApplies()
    {
        var options = new IpcConnectionOptions { EventTimeouts = new Dictionary<string, TimeSpan> { ["silent"] = TimeSpan.FromMilliseconds(150) } };
        await using var pair = new ConnectionPair(this.LoggerFactory, miniOptions: options);
        pair.MainRegistry.AddHandler("silent", (IpcRequest r) => { });

        IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("silent", null));

        Assert.Equal(IpcErrorCode.Timeout, result.ErrorCode);
        Assert.Contains("150 ms", result.ErrorMessage);
    }

    [Fact]
    public async Task CancellationCompletesAtOnceAndReachesTheHandler()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        var handlerCanceled = new TaskCompletionSource();
        var handlerStarted = new TaskCompletionSource();
        pair.MainRegistry.AddHandler("wait", (IpcRequest r) =>
        {
            r.CancellationToken.Register(() => handlerCanceled.TrySetResult());
            handlerStarted.SetResult();
        });
        using var cts = new CancellationTokenSource();

        Task<IpcResult> call = pair.Mini.CallAsync("wait", null, new IpcCallOptions { CancellationToken = cts.Token });
        await this.WithTimeoutAsync(handlerStarted.Task);
        await AssertStillPendingAsync(call);
        cts.Cancel();

        Assert.Equal(IpcErrorCode.Canceled, (await this.WithTimeoutAsync(call)).ErrorCode);
        await this.WithTimeoutAsync(handlerCanceled.Task);
    }

    [Fact]
    public async Task DisconnectFailsPendingCallsOnBothSides()
    {
        var pair = new ConnectionPair(this.LoggerFactory);
        var bothWaiting = new CountdownEvent(2);
        pair.MainRegistry.AddHandler("hang", (IpcRequest r) => bothWaiting.Signal());
        pair.MiniRegistry.AddHandler("hang", (IpcRequest r) => bothWaiting.Signal());

        Task<IpcResult> fromMini = pair.Mini.CallAsync("hang", null);
        Task<IpcResult> fromMain = pair.Main.CallAsync("hang", null);
        await this.WithTimeoutAsync(Task.Run(() => bothWaiting.Wait(this.TimeoutToken)));

        await pair.Mini.DisposeAsync();

        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(fromMini)).ErrorCode);
        Assert.Equal(IpcErrorCode.PeerDisconnected, (await this.WithTimeoutAsync(fromMain)).ErrorCode);
        await this.WithTimeoutAsync(pair.Main.Completion);
        Assert.Equal(IpcErrorCode.PeerDisconnected, (await pair.Main.CallAsync("hang", null)).ErrorCode);
    }

    [Fact]
    public async Task CloseWithAReasonFailsPendingCallsWithThatReason()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        var waiting = new TaskCompletionSource();
        pair.MiniRegistry.AddHandler("hang", (IpcRequest r) => waiting.SetResult());
        Task<IpcResult> call = pair.Main.CallAsync("hang", null);
        await this.WithTimeoutAsync(waiting.Task);

        pair.Main.Close(IpcErrorCode.LoggedOut, "the user logged out");

        IpcResult result = await this.WithTimeoutAsync(call);
        Assert.Equal(IpcErrorCode.LoggedOut, result.ErrorCode);
        Assert.Contains("logged out", result.ErrorMessage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bad\nname")]
    public async Task BadEventNameIsBadRequest(string eventId)
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        Assert.Equal(IpcErrorCode.BadRequest, (await pair.Mini.CallAsync(eventId, null)).ErrorCode);
        Assert.Equal(IpcErrorCode.BadRequest, (await pair.Mini.CallAsync(new string('x', 300), null)).ErrorCode);
    }

    [Fact]
    public async Task OversizedRequestIsRefusedBeforeSendingAndByTheReceiver()
    {
        var small = new IpcConnectionOptions { Limits = new BundleLimits { MaxBytes = 1024 } };
        await using var pair = new ConnectionPair(this.LoggerFactory, mainOptions: small);
        pair.MainRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        pair.MiniRegistry.AddHandler("echo", r => Task.FromResult(r.Data));
        Bundle big = new Bundle().PutByteArray("blob", new byte[4096]);

        IpcResult sentByMain = await this.WithTimeoutAsync(pair.Main.CallAsync("echo", big));
        IpcResult receivedByMain = await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", big));

        Assert.Equal(IpcErrorCode.LimitsExceeded, sentByMain.ErrorCode);
        Assert.Contains("MaxBytes", sentByMain.ErrorMessage);
        Assert.Equal(IpcErrorCode.LimitsExceeded, receivedByMain.ErrorCode);
        Assert.Contains("MaxBytes", receivedByMain.ErrorMessage);

        // The connection survives: a small call still works.
        Assert.True((await this.WithTimeoutAsync(pair.Mini.CallAsync("echo", new Bundle().PutInt("n", 1)))).IsSuccess);
    }

    [Fact]
    public async Task CallbackFormIsCalledOnceWithErrorKeysOnFailure()
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        int calls = 0;
        var done = new TaskCompletionSource<(bool, Bundle)>();
        pair.Mini.Call("missing", null, new IpcCallback((ok, bundle) =>
        {
            Interlocked.Increment(ref calls);
            done.TrySetResult((ok, bundle));
        }));

        (bool ok, Bundle response) = await this.WithTimeoutAsync(done.Task);
        Assert.False(ok);
        Assert.Equal((int)IpcErrorCode.NoHandler, response.GetInt(IpcResult.ErrorCodeKey));
        Assert.Contains("missing", response.GetString(IpcResult.ErrorMessageKey));

        // Make sure no second delivery is on its way: a later call round-trips first.
        await pair.Mini.CallAsync("missing", null);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task FrameDeclaringTooManyBytesClosesTheConnectionBeforeReadingIt()
    {
        (Stream mainStream, Stream rogueStream) = FullDuplexStream.CreatePair();
        var registry = new IpcEventRegistry(IpcSide.Main);
        var options = new IpcConnectionOptions { MaxMessageBytes = 64 * 1024 };
        await using IpcConnection main = IpcConnection.Start(mainStream, registry, ConnectionPair.MiniIdentity, options, this.LoggerFactory.CreateLogger("main"));

        await using MultiplexingStream rogue = MultiplexingStream.Create(rogueStream, new MultiplexingStream.Options { ProtocolMajorVersion = 3, SeededChannels = { new MultiplexingStream.ChannelOptions() } });
        MultiplexingStream.Channel channel = rogue.AcceptChannel(0);
        byte[] header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, int.MaxValue);
        await channel.Output.WriteAsync(header, this.TimeoutToken);

        await this.WithTimeoutAsync(main.Completion);
        Assert.False(main.IsConnected);
        Assert.Contains("MaxMessageBytes", main.CloseReason);
    }

    [Fact]
    public async Task DispatchErrorsCarryNoTypeNameOrStack()
    {
        (Stream mainStream, Stream rogueStream) = FullDuplexStream.CreatePair();
        await using IpcConnection main = IpcConnection.Start(mainStream, new IpcEventRegistry(IpcSide.Main), ConnectionPair.MiniIdentity, null, this.LoggerFactory.CreateLogger("main"));
        await using MultiplexingStream rogue = MultiplexingStream.Create(rogueStream, new MultiplexingStream.Options { ProtocolMajorVersion = 3, SeededChannels = { new MultiplexingStream.ChannelOptions() } });
        using var rpc = new JsonRpc(new LengthHeaderMessageHandler(rogue.AcceptChannel(0), new MessagePackFormatter()));
        rpc.StartListening();

        // Arguments of the wrong types: a protocol violation now (docs/protocol.md, section 8); the peer is cut off and
        // learns nothing but that the connection closed.
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => rpc.InvokeWithCancellationAsync<object>(IpcConnection.CallMethod, [42, "not an int", 3.5], this.TimeoutToken));

        this.Output.WriteLine("seen by the peer: " + ex.GetType().Name + ": " + ex.Message);
        Assert.IsType<ConnectionLostException>(ex);
        await this.WithTimeoutAsync(main.Completion);
        Assert.Equal(ProtocolViolation.BadParams, main.Violation);
    }

    [IpcMainPlugin]
    private sealed class SlowPlugin
    {
        [IpcEvent("slow", TimeoutMilliseconds = 100)]
        public void Slow(IpcRequest request)
        {
        }
    }
}
