namespace IpcBroker.MainProcess.OpenApi;

/// <summary>The single-use codes the store keeps.</summary>
public enum CodeKind
{
    /// <summary>A <c>wx.login</c> code, redeemed by the mini program's backend.</summary>
    Login,

    /// <summary>A V3 ("mutual trust") host auth code, redeemed by a default implementation's request.</summary>
    Auth,
}
