namespace IpcBroker.Tests;

/// <summary>Review of issue 11's one-hop incoming path (IncomingCallRun): each test failed on integ before its fix.</summary>
public class IncomingRunReviewTests(ITestOutputHelper output) : TestBase(output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAnswerGivenBeforeTheHandlerBlocksGoesOutWhileTheHandlerStillBlocks(bool fromAnotherThread)
    {
        await using var pair = new ConnectionPair(this.LoggerFactory);
        using var release = new ManualResetEventSlim();
        pair.MainRegistry.AddHandler(
            "answer.then.block",
            (IpcRequest request) =>
            {
                // A plugin that answers first, then does synchronous work (a Thread.Sleep, a synchronous SQLite write):
                // the answer was accepted in time and must reach the caller without waiting for the work.
                if (fromAnotherThread)
                {
                    var answering = new Thread(() => request.Ok(new Bundle().PutInt("n", 7)));
                    answering.Start();
                    answering.Join(UnexpectedTimeout);
                }
                else
                {
                    request.Ok(new Bundle().PutInt("n", 7));
                }

                release.Wait(UnexpectedTimeout);
            },
            timeout: TimeSpan.FromSeconds(5));
        try
        {
            // The caller's deadline is the only thing that ends the call if the answer is held back behind the handler.
            IpcResult result = await this.WithTimeoutAsync(pair.Mini.CallAsync("answer.then.block", null, new IpcCallOptions { Timeout = TimeSpan.FromSeconds(5) }));

            Assert.False(release.IsSet);
            Assert.True(result.IsSuccess, result.ToString());
            Assert.Equal(7, result.Data.GetInt("n"));
        }
        finally
        {
            release.Set();
        }
    }
}
