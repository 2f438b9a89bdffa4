using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IpcBroker.OpenApi;
using IpcBroker.Plugins;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// The main-process side of requestPayment, requestVirtualPayment and requestMidasPaymentGameItem: idempotent per order id,
/// written before the provider is asked, settled only by the provider's answer, and recoverable by the mini program.
/// </summary>
/// <remarks>
/// <para>An order is keyed by (appId, user, order id), the appId from the session the broker bound, never the payload: two
/// mini programs (or two users) may use one order id and never see or block each other's order. The same order id with the
/// same kind and parameters (compared as canonical JSON) gives the one outcome however often it is sent, also after a
/// restart of either process; with other parameters it is <see cref="OpenApiErrno.OrderConflict"/>. Nothing a mini
/// process sends can set an order's state.</para>
/// <para>Exactly one request asks the provider for an order: it claims the order in the store first
/// (<see cref="OpenApiStore.TryClaimOrderAsync"/>, one SQL statement whose row count decides), and every other request,
/// whenever it comes, joins that charge or reads its stored outcome. Only an order whose charge has no stored outcome — the
/// provider threw, or the host ended while it was asked — is asked again, by one request, later; the provider answers that
/// ask with the first outcome (<see cref="IPaymentProvider"/>).</para>
/// <para>A charge is not tied to the request that started it: if the mini process dies (its request is cancelled) the
/// provider's answer is still awaited and stored, and the restarted mini program gets it by asking again or through
/// <see cref="OpenApiEvents.PayQuery"/>.</para>
/// </remarks>
/// <param name="service">Accounts and the store.</param>
/// <param name="provider">The host's payment provider.</param>
[IpcMainPlugin]
public sealed class PaymentPlugin(OpenApiService service, IPaymentProvider provider)
{
    private const int MaxOrderIdLength = 64;

    /// <summary>Pays an order, or returns the outcome of the order with that id.</summary>
    /// <param name="request"><c>orderId</c>, <c>kind</c>, <c>params</c> (JSON text).</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.Pay, Description = "Pays an order once per order id; answers its outcome")]
    public Task PayAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string user = OpenDataPlugin.SignedInUser(service);
        string orderId = OrderIdOf(request);
        if (!Enum.TryParse(request.Data.GetString("kind"), out PaymentKind kind) || !Enum.IsDefined(kind))
        {
            throw new OpenApiFailure(OpenApiErrno.BadParameters, "kind must be Payment, VirtualPayment or MidasGameItem.");
        }

        JsonObject parameters = ParseParameters(request.Data.GetString("params"));
        string canonical = CanonicalJson.Write(parameters);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kind + "\n" + canonical)));

        // Written before the provider is asked: a crash after this point leaves a pending order to resolve, never a
        // charge nobody knows of.
        var candidate = new OrderRecord(orderId, request.Caller.AppId, user, kind, hash, canonical, OrderState.Pending, null, null);
        OrderRecord order = await service.Store.AddOrderOrGetAsync(candidate, service.Now()).ConfigureAwait(false);
        if (order.ParamsHash != hash)
        {
            throw new OpenApiFailure(OpenApiErrno.OrderConflict, $"Order '{orderId}' exists with other parameters.");
        }

        if (order.State is OrderState.Pending or OrderState.Charging)
        {
            order = await this.SettleAsync(order).ConfigureAwait(false);
        }

        return order.State switch
        {
            OrderState.Paid => Describe(order),
            OrderState.Failed => throw new OpenApiFailure(OpenApiErrno.PaymentFailed, $"The payment of order '{orderId}' failed: {order.Error}"),
            _ => throw new OpenApiFailure(OpenApiErrno.Timeout, $"The payment of order '{orderId}' has no outcome yet; ask again or query it."),
        };
    });

    /// <summary>Tells what became of an order of the calling mini program and the signed-in user.</summary>
    /// <param name="request"><c>orderId</c>.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.PayQuery, Description = "The state of an order: none, Pending, Paid or Failed")]
    public Task QueryAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string user = OpenDataPlugin.SignedInUser(service);
        string orderId = OrderIdOf(request);
        OrderRecord? order = await service.Store.GetOrderAsync(new OrderKey(request.Caller.AppId, user, orderId)).ConfigureAwait(false);
        return order is null
            ? new Bundle().PutString("orderId", orderId).PutString("state", "none")
            : Describe(order);
    });

    private static Bundle Describe(OrderRecord order) => new Bundle()
        .PutString("orderId", order.OrderId)
        .PutString("state", (order.State == OrderState.Charging ? OrderState.Pending : order.State).ToString())
        .PutString("providerRef", order.ProviderRef)
        .PutString("error", order.Error);

    private static string OrderIdOf(IpcRequest request)
    {
        string? orderId = request.Data.GetString("orderId");
        if (string.IsNullOrEmpty(orderId) || orderId.Length > MaxOrderIdLength || !orderId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new OpenApiFailure(OpenApiErrno.BadParameters, $"orderId must be 1 to {MaxOrderIdLength} ASCII letters, digits, '-' or '_'.");
        }

        return orderId;
    }

    private static JsonObject ParseParameters(string? text)
    {
        try
        {
            return JsonNode.Parse(text ?? "{}") as JsonObject ?? throw new OpenApiFailure(OpenApiErrno.BadParameters, "params must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new OpenApiFailure(OpenApiErrno.BadParameters, "params is not JSON: " + ex.Message);
        }
    }

    /// <summary>
    /// Gets the order's outcome, asking the provider if this request wins the order's claim. Requests of this process for one
    /// order first meet in the store's table of charges in flight (so they wait for one charge rather than each trying the
    /// claim); the claim in the store decides between this process and whatever came before it.
    /// </summary>
    private async Task<OrderRecord> SettleAsync(OrderRecord order)
    {
        var mine = new TaskCompletionSource<OrderRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<OrderRecord> shared = service.Store.ChargesInFlight.GetOrAdd(order.Key, mine.Task);
        if (shared == mine.Task)
        {
            try
            {
                mine.SetResult(await this.ClaimAndChargeAsync(order.Key).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                mine.SetException(ex);
            }
            finally
            {
                // Only once the outcome (or the release of the claim) is stored: a request that misses the entry reads it.
                service.Store.ChargesInFlight.TryRemove(new KeyValuePair<OrderKey, Task<OrderRecord>>(order.Key, mine.Task));
            }
        }

        return await shared.ConfigureAwait(false);
    }

    private async Task<OrderRecord> ClaimAndChargeAsync(OrderKey key)
    {
        OrderRecord? claimed = await service.Store.TryClaimOrderAsync(key, service.Now()).ConfigureAwait(false);
        if (claimed is null)
        {
            // Settled since this request read it (by a request whose entry has left the table): the stored outcome is the answer.
            return (await service.Store.GetOrderAsync(key).ConfigureAwait(false))!;
        }

        PaymentOutcome outcome;
        try
        {
            // Not the request's token: the charge must be settled even if the mini process that asked has died.
            outcome = await provider.ChargeAsync(
                new PaymentRequest(claimed.OrderId, claimed.AppId, claimed.UserId, claimed.Kind, (JsonObject)JsonNode.Parse(claimed.Params)!),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            // No outcome: let the claim go so that a later request asks again (the provider answers that with the first outcome).
            await service.Store.ReleaseOrderAsync(key, service.Now()).ConfigureAwait(false);
            throw;
        }

        return await service.Store.SettleOrderAsync(key, outcome.Paid ? OrderState.Paid : OrderState.Failed, outcome.ProviderRef, outcome.Error, service.Now()).ConfigureAwait(false);
    }
}
