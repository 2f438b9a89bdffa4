using System.Collections.Concurrent;
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
/// <para>The same order id with the same kind and parameters (compared as canonical JSON) gives the one outcome however
/// often it is sent, also after a restart of either process; with other parameters, another mini program or another user
/// it is <see cref="OpenApiErrno.OrderConflict"/>. Nothing a mini process sends can set an order's state.</para>
/// <para>A charge is not tied to the request that started it: if the mini process dies (its request is cancelled) the
/// provider's answer is still awaited and stored, and the restarted mini program gets it by asking again or through
/// <see cref="OpenApiEvents.PayQuery"/>. Concurrent requests for one order share one charge.</para>
/// </remarks>
/// <param name="service">Accounts and the store.</param>
/// <param name="provider">The host's payment provider.</param>
[IpcMainPlugin]
public sealed class PaymentPlugin(OpenApiService service, IPaymentProvider provider) : IpcPlugin
{
    private const int MaxOrderIdLength = 64;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<OrderRecord>> inFlight = new(StringComparer.Ordinal);

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
        if (order.AppId != candidate.AppId || order.UserId != user || order.ParamsHash != hash)
        {
            throw new OpenApiFailure(OpenApiErrno.OrderConflict, $"Order '{orderId}' exists with other parameters.");
        }

        if (order.State == OrderState.Pending)
        {
            order = await this.SettleAsync(order).ConfigureAwait(false);
        }

        return order.State == OrderState.Paid
            ? Describe(order)
            : throw new OpenApiFailure(OpenApiErrno.PaymentFailed, $"The payment of order '{orderId}' failed: {order.Error}");
    });

    /// <summary>Tells what became of an order of the calling mini program and the signed-in user.</summary>
    /// <param name="request"><c>orderId</c>.</param>
    /// <returns>A task.</returns>
    [IpcEvent(OpenApiEvents.PayQuery, Description = "The state of an order: none, Pending, Paid or Failed")]
    public Task QueryAsync(IpcRequest request) => OpenApiFailure.AnswerAsync(request, async () =>
    {
        string user = OpenDataPlugin.SignedInUser(service);
        string orderId = OrderIdOf(request);
        OrderRecord? order = await service.Store.GetOrderAsync(orderId).ConfigureAwait(false);
        return order is null || order.AppId != request.Caller.AppId || order.UserId != user
            ? new Bundle().PutString("orderId", orderId).PutString("state", "none")
            : Describe(order);
    });

    private static Bundle Describe(OrderRecord order) => new Bundle()
        .PutString("orderId", order.OrderId)
        .PutString("state", order.State.ToString())
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

    /// <summary>Asks the provider once per order in this process and stores its answer; concurrent callers share it.</summary>
    private async Task<OrderRecord> SettleAsync(OrderRecord order)
    {
        var mine = new TaskCompletionSource<OrderRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource<OrderRecord> shared = this.inFlight.GetOrAdd(order.OrderId, mine);
        if (shared == mine)
        {
            try
            {
                mine.SetResult(await this.ChargeAsync(order).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                mine.SetException(ex);
            }
            finally
            {
                this.inFlight.TryRemove(new KeyValuePair<string, TaskCompletionSource<OrderRecord>>(order.OrderId, mine));
            }
        }

        return await shared.Task.ConfigureAwait(false);
    }

    private async Task<OrderRecord> ChargeAsync(OrderRecord order)
    {
        // Not the request's token: the charge must be settled even if the mini process that asked has died.
        PaymentOutcome outcome = await provider.ChargeAsync(
            new PaymentRequest(order.OrderId, order.AppId, order.UserId, order.Kind, (JsonObject)JsonNode.Parse(order.Params)!),
            CancellationToken.None).ConfigureAwait(false);
        return await service.Store.SettleOrderAsync(order.OrderId, outcome.Paid ? OrderState.Paid : OrderState.Failed, outcome.ProviderRef, outcome.Error, service.Now()).ConfigureAwait(false);
    }
}
