using System.Text.Json.Nodes;
using IpcBroker.MainProcess.OpenApi;
using IpcBroker.MiniProcess.OpenApi;
using IpcBroker.Tests;

namespace IpcBroker.OpenApi.Tests;

/// <summary>Payments: one outcome per order id, conflicts, declines, and nothing a mini process can do to mark one paid.</summary>
public class PaymentTests(ITestOutputHelper output) : TestBase(output)
{
    [Fact]
    public async Task TheSameOrderGivesTheOneOutcomeAndOneCharge()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var order = new JsonObject { ["orderId"] = "o-1", ["amount"] = 9.99, ["currency"] = "CNY" };

        OpenApiResult first = await this.PayAsync(fixture, order);
        OpenApiResult again = await this.PayAsync(fixture, new JsonObject { ["currency"] = "CNY", ["amount"] = 9.99, ["orderId"] = "o-1" });
        OpenApiResult query = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(fixture.Context, "o-1", this.TimeoutToken));

        Assert.Equal("Paid", first.Data["state"]!.GetValue<string>());
        Assert.Equal(first.ToJson(), again.ToJson());
        Assert.Equal("Paid", query.Data["state"]!.GetValue<string>());
        Assert.Equal(1, fixture.Provider.Charges);
    }

    [Fact]
    public async Task ConcurrentRequestsForOneOrderShareOneCharge()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);

        OpenApiResult[] results = await this.WithTimeoutAsync(Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            PaymentOpenApis.PayAsync(fixture.Context, PaymentKind.Payment, new JsonObject { ["orderId"] = "o-many", ["amount"] = 5 }, this.TimeoutToken))));

        Assert.All(results, r => Assert.Equal("Paid", r.Data["state"]!.GetValue<string>()));
        Assert.Equal(1, fixture.Provider.Charges);
    }

    [Fact]
    public async Task RacingRequestsForOneOrderReachTheProviderOnceWhateverTheInterleaving()
    {
        // Many orders, each raced by many requests released together through two plugin instances over one store: a
        // request that read the order as not yet settled and reaches the charge after another settled it (or while another
        // plugin's charge is in flight) must not ask the provider again.
        const int Orders = 40;
        const int RequestsPerOrder = 12;
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new CountingProvider();
        await using OpenApiFixture first = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: store, provider: provider);
        await using OpenApiFixture second = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: store, provider: provider);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<OpenApiResult>[] requests = Enumerable.Range(0, Orders).SelectMany(o => Enumerable.Range(0, RequestsPerOrder).Select(r => Task.Run(async () =>
        {
            await start.Task;
            MiniAppContext context = (r % 2 == 0 ? first : second).Context;
            return await PaymentOpenApis.PayAsync(context, PaymentKind.Payment, new JsonObject { ["orderId"] = $"race-{o}", ["amount"] = 5 }, this.TimeoutToken);
        }))).ToArray();

        start.SetResult();
        OpenApiResult[] results = await this.WithTimeoutAsync(Task.WhenAll(requests));

        Assert.All(results, r => Assert.Equal("Paid", r.Data["state"]!.GetValue<string>()));
        Assert.All(Enumerable.Range(0, Orders), o => Assert.Equal(1, provider.CallsFor($"race-{o}")));
    }

    [Fact]
    public async Task ARequestThatDoesNotMeetTheChargeInFlightStillNeverAsksTheProviderAgain()
    {
        // Two plugin instances over one store (two host registries of one process): the second request cannot meet the
        // first in a plugin's own table of charges, so only the claim in the store can stop it from charging again.
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new FirstCallGatedProvider();
        await using OpenApiFixture first = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: store, provider: provider);
        await using OpenApiFixture second = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: store, provider: provider);
        var order = new JsonObject { ["orderId"] = "o-gated", ["amount"] = 5 };

        Task<OpenApiResult> charging = PaymentOpenApis.PayAsync(first.Context, PaymentKind.Payment, order, this.TimeoutToken);
        await this.WithTimeoutAsync(provider.FirstCalled.Task);
        Task<OpenApiResult> meanwhile = PaymentOpenApis.PayAsync(second.Context, PaymentKind.Payment, (JsonObject)order.DeepClone(), this.TimeoutToken);
        await AssertStillPendingAsync(meanwhile); // it waits for the charge in flight rather than asking the provider
        provider.Gate.SetResult();
        OpenApiResult[] results = await this.WithTimeoutAsync(Task.WhenAll(charging, meanwhile));

        Assert.All(results, r => Assert.Equal("Paid", r.Data["state"]!.GetValue<string>()));
        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public async Task AnOrderAHostLeftChargingIsAskedOnceMoreAfterTheRestartAndThenSettled()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"ipcb-store-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "openapi.db");
        try
        {
            var order = new JsonObject { ["orderId"] = "o-crash", ["amount"] = 5 };
            await using (OpenApiStore before = await OpenApiStore.OpenAsync(path))
            {
                // The host wrote and claimed the order, then ended before the provider answered.
                var provider = new FirstCallGatedProvider();
                await using OpenApiFixture crashed = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: before, provider: provider);
                _ = PaymentOpenApis.PayAsync(crashed.Context, PaymentKind.Payment, order, this.TimeoutToken);
                await this.WithTimeoutAsync(provider.FirstCalled.Task);
            }

            var afterProvider = new CountingProvider();
            await using OpenApiStore after = await OpenApiStore.OpenAsync(path);
            await using OpenApiFixture restarted = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: after, provider: afterProvider);
            OpenApiResult pending = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(restarted.Context, "o-crash", this.TimeoutToken));
            OpenApiResult[] paid = await this.WithTimeoutAsync(Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
                PaymentOpenApis.PayAsync(restarted.Context, PaymentKind.Payment, (JsonObject)order.DeepClone(), this.TimeoutToken))));

            Assert.Equal("Pending", pending.Data["state"]!.GetValue<string>());
            Assert.All(paid, r => Assert.Equal("Paid", r.Data["state"]!.GetValue<string>()));
            Assert.Equal(1, afterProvider.CallsFor("o-crash"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AChargeWhoseProviderThrowsIsLetGoAndAskedAgainByTheNextRequest()
    {
        var provider = new ThrowOnceProvider();
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory, provider: provider);
        var order = new JsonObject { ["orderId"] = "o-throw", ["amount"] = 5 };

        OpenApiResult failed = await this.PayAsync(fixture, order);
        OpenApiResult pending = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(fixture.Context, "o-throw", this.TimeoutToken));
        OpenApiResult paid = await this.PayAsync(fixture, (JsonObject)order.DeepClone());

        Assert.False(failed.Success);
        Assert.Equal("Pending", pending.Data["state"]!.GetValue<string>());
        Assert.Equal("Paid", paid.Data["state"]!.GetValue<string>());
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task AnotherMiniProgramsOrderIdIsItsOwnOrderAndReadsNothingOfTheFirst()
    {
        await using OpenApiStore store = await OpenApiStore.OpenInMemoryAsync();
        var provider = new CountingProvider();
        await using OpenApiFixture appA = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: store, appId: "wx-app-a", provider: provider);
        await using OpenApiFixture appB = await OpenApiFixture.CreateAsync(this.LoggerFactory, store: store, appId: "wx-app-b", provider: provider);

        OpenApiResult paidByA = await this.PayAsync(appA, new JsonObject { ["orderId"] = "o-1", ["amount"] = 1 });
        OpenApiResult probeByB = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(appB.Context, "o-1", this.TimeoutToken));
        OpenApiResult paidByB = await this.PayAsync(appB, new JsonObject { ["orderId"] = "o-1", ["amount"] = 2 });
        OpenApiResult againByA = await this.PayAsync(appA, new JsonObject { ["orderId"] = "o-1", ["amount"] = 1 });

        Assert.Equal("Paid", paidByA.Data["state"]!.GetValue<string>());
        Assert.Equal("none", probeByB.Data["state"]!.GetValue<string>());
        Assert.True(paidByB.Success, paidByB.ToJson());
        Assert.Equal("Paid", paidByB.Data["state"]!.GetValue<string>());
        Assert.Equal(paidByA.ToJson(), againByA.ToJson());
        Assert.Equal(
            [("wx-app-a", 1m), ("wx-app-b", 2m)],
            provider.Calls.Select(c => (c.AppId, c.Parameters["amount"]!.GetValue<decimal>())).ToArray());
    }

    [Fact]
    public async Task TheSameOrderIdWithOtherParametersOrKindIsAConflict()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        await this.PayAsync(fixture, new JsonObject { ["orderId"] = "o-2", ["amount"] = 1 });

        OpenApiResult otherAmount = await this.PayAsync(fixture, new JsonObject { ["orderId"] = "o-2", ["amount"] = 2 });
        OpenApiResult otherKind = await this.WithTimeoutAsync(PaymentOpenApis.PayAsync(fixture.Context, PaymentKind.VirtualPayment, new JsonObject { ["orderId"] = "o-2", ["amount"] = 1 }, this.TimeoutToken));

        Assert.All([otherAmount, otherKind], r => Assert.Equal(OpenApiErrno.OrderConflict, r.Errno));
        Assert.Equal(1, fixture.Provider.Charges);
    }

    [Fact]
    public async Task AnotherUsersOrderIdIsTheirOwnOrder()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        await this.PayAsync(fixture, new JsonObject { ["orderId"] = "o-2", ["amount"] = 1 });
        fixture.SignedIn = "u-2002";

        OpenApiResult otherUsersQuery = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(fixture.Context, "o-2", this.TimeoutToken));
        OpenApiResult otherUsersOrder = await this.PayAsync(fixture, new JsonObject { ["orderId"] = "o-2", ["amount"] = 3 });

        Assert.Equal("none", otherUsersQuery.Data["state"]!.GetValue<string>());
        Assert.Equal("Paid", otherUsersOrder.Data["state"]!.GetValue<string>());
        Assert.Equal(2, fixture.Provider.Charges);
        Assert.Equal(2, fixture.Provider.ChargesFor("o-2"));
    }

    [Fact]
    public async Task ADeclinedOrderStaysFailedAndAMiniProcessCannotMarkItPaid()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var order = new JsonObject { ["orderId"] = "o-3", ["amount"] = 1_000_000, ["state"] = "Paid", ["paid"] = true };

        OpenApiResult declined = await this.PayAsync(fixture, order);
        OpenApiResult again = await this.PayAsync(fixture, (JsonObject)order.DeepClone());
        OpenApiResult query = await this.WithTimeoutAsync(PaymentOpenApis.QueryAsync(fixture.Context, "o-3", this.TimeoutToken));
        IpcResult direct = await fixture.Mini.CallAsync(OpenApiEvents.Pay, new Bundle().PutString("orderId", "o-3").PutString("kind", "Payment").PutString("params", order.ToJsonString()).PutString("state", "Paid"));

        Assert.Equal(OpenApiErrno.PaymentFailed, declined.Errno);
        Assert.Contains("declined", declined.Data[OpenApiErrno.MessageKey]!.GetValue<string>());
        Assert.Equal(OpenApiErrno.PaymentFailed, again.Errno);
        Assert.Equal("Failed", query.Data["state"]!.GetValue<string>());
        Assert.Equal(OpenApiErrno.PaymentFailed, direct.Data.GetInt(OpenApiErrno.Key));
        Assert.Equal(0, fixture.Provider.Charges);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("../../etc")]
    [InlineData("an-order-id-that-is-far-too-long-to-be-accepted-by-the-payment-plugin-at-all")]
    public async Task ABadOrderIdIsBadParameters(string? orderId)
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);
        var order = new JsonObject { ["amount"] = 1 };
        if (orderId is not null)
        {
            order["orderId"] = orderId;
        }

        Assert.Equal(OpenApiErrno.BadParameters, (await this.PayAsync(fixture, order)).Errno);
        Assert.Equal(0, fixture.Provider.Charges);
    }

    [Fact]
    public async Task MalformedPaymentRequestsFromAMiniProcessAreBadParameters()
    {
        await using OpenApiFixture fixture = await OpenApiFixture.CreateAsync(this.LoggerFactory);

        IpcResult badKind = await fixture.Mini.CallAsync(OpenApiEvents.Pay, new Bundle().PutString("orderId", "o-4").PutString("kind", "Refund").PutString("params", "{}"));
        IpcResult badJson = await fixture.Mini.CallAsync(OpenApiEvents.Pay, new Bundle().PutString("orderId", "o-4").PutString("kind", "Payment").PutString("params", "{oops"));

        Assert.Equal(OpenApiErrno.BadParameters, badKind.Data.GetInt(OpenApiErrno.Key));
        Assert.Equal(OpenApiErrno.BadParameters, badJson.Data.GetInt(OpenApiErrno.Key));
        Assert.Null(await fixture.Store.GetOrderAsync(new OrderKey("wx-app-1", OpenApiFixture.User, "o-4")));
    }

    private Task<OpenApiResult> PayAsync(OpenApiFixture fixture, JsonObject order) =>
        this.WithTimeoutAsync(PaymentOpenApis.PayAsync(fixture.Context, PaymentKind.Payment, order, this.TimeoutToken));

    /// <summary>Holds the first charge at the provider's door until the test opens the gate; later ones answer at once.</summary>
    private sealed class FirstCallGatedProvider : IPaymentProvider
    {
        private int calls;

        public int Calls => Volatile.Read(ref this.calls);

        public TaskCompletionSource FirstCalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref this.calls) == 1)
            {
                this.FirstCalled.SetResult();
                await this.Gate.Task;
            }

            return new PaymentOutcome(true, "gated-" + request.OrderId);
        }
    }

    /// <summary>Throws on its first ask (no outcome), pays after.</summary>
    private sealed class ThrowOnceProvider : IPaymentProvider
    {
        private int calls;

        public int Calls => Volatile.Read(ref this.calls);

        public Task<PaymentOutcome> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref this.calls) == 1
                ? throw new HttpRequestException("the provider did not answer")
                : Task.FromResult(new PaymentOutcome(true, "after-" + request.OrderId));
    }
}
