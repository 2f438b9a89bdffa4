namespace IpcBroker.MainProcess.OpenApi;

/// <summary>Settings of the main-process side of the open APIs.</summary>
public sealed record OpenApiOptions
{
    /// <summary>Gets how long a <c>wx.login</c> code may be redeemed (5 min).</summary>
    public TimeSpan LoginCodeLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets how long a login session lives from the <c>wx.login</c> that opened it (2 h); <c>checkSession</c> is false after that.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Gets how long a V3 auth code may be presented (1 min).</summary>
    public TimeSpan AuthCodeLifetime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Gets the mini programs that run at API level V3 ("mutual trust"): their default-implementation requests must carry a
    /// valid auth code, whatever the mini process claims. A request from any mini program that carries one is checked too.
    /// </summary>
    public IReadOnlySet<string> MutualTrustAppIds { get; init; } = new HashSet<string>();

    /// <summary>Gets the clock; tests move it to expire codes and sessions.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
