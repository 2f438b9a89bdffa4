namespace IpcBroker.MainProcess.OpenApi;

/// <summary>The provider's answer.</summary>
/// <param name="Paid">Whether it charged.</param>
/// <param name="ProviderRef">Its reference for the charge (or the attempt).</param>
/// <param name="Error">Why it did not charge.</param>
public sealed record PaymentOutcome(bool Paid, string? ProviderRef, string? Error = null);
