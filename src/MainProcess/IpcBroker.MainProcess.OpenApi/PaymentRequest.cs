using System.Text.Json.Nodes;
using IpcBroker.OpenApi;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>An order as the payment provider sees it.</summary>
/// <param name="OrderId">The idempotency key.</param>
/// <param name="AppId">The mini program.</param>
/// <param name="UserId">The paying user.</param>
/// <param name="Kind">Which payment API.</param>
/// <param name="Parameters">The mini program's parameters (amount, currency, item…), as sent.</param>
public sealed record PaymentRequest(string OrderId, string AppId, string UserId, PaymentKind Kind, JsonObject Parameters);
