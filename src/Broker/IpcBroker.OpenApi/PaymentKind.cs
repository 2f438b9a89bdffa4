namespace IpcBroker.OpenApi;

/// <summary>Which payment API an order came from.</summary>
public enum PaymentKind
{
    /// <summary><c>wx.requestPayment</c>.</summary>
    Payment,

    /// <summary><c>wx.requestVirtualPayment</c>.</summary>
    VirtualPayment,

    /// <summary><c>wx.requestMidasPaymentGameItem</c>.</summary>
    MidasGameItem,
}
