namespace IpcBroker.MainProcess.Hosting;

/// <summary>Settings of a <see cref="MiniAppHost"/>.</summary>
public sealed record MiniAppHostOptions
{
    /// <summary>
    /// Gets the mini program executable: a framework-dependent <c>.dll</c> (run with the current dotnet host) or a native
    /// executable. Defaults to <c>mini/IpcBroker.MiniProcess.dll</c> beside the host.
    /// </summary>
    public string MiniExecutablePath { get; init; } = Path.Combine(AppContext.BaseDirectory, "mini", "IpcBroker.MiniProcess.dll");

    /// <summary>
    /// Gets the most mini program processes alive at once (5, as in the SDK). At the cap, opening another mini program
    /// stops the least recently used one and hands its process over.
    /// </summary>
    public int MaxMiniProcesses { get; init; } = 5;

    /// <summary>
    /// Gets the directory under which each mini program gets a private directory per user,
    /// <c>&lt;root&gt;/&lt;user key&gt;/&lt;appId&gt;-&lt;build&gt;</c>; null (the default) keeps none.
    /// </summary>
    public string? SandboxRoot { get; init; }

    /// <summary>Gets the directory below which the host makes its private pipe directory; null for the system temp directory.</summary>
    public string? RuntimeDirectory { get; init; }

    /// <summary>Gets the settings of every connection to a mini process.</summary>
    public IpcConnectionOptions Connection { get; init; } = IpcConnectionOptions.Default;

    /// <summary>Gets how long a mini program may take from its launch line to an accepted handshake (15 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets how long a connection may take to send its hello once connected (5 s); a silent connection is then closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how long a stopping mini process may take to exit after its standard input is closed, before it is killed (3 s).</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(3);
}
