namespace IpcBroker.MainProcess.OpenApi;

/// <summary>
/// What identifies a payment order: the mini program (from the session the broker bound, never the payload), the paying
/// user, and the mini program's own order id. Two mini programs, or two users, may use one order id without meeting.
/// </summary>
/// <param name="AppId">The mini program.</param>
/// <param name="UserId">The paying user.</param>
/// <param name="OrderId">The mini program's order id.</param>
public readonly record struct OrderKey(string AppId, string UserId, string OrderId);
