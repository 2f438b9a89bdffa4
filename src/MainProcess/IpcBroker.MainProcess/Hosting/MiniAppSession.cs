namespace IpcBroker.MainProcess.Hosting;

/// <summary>One mini program bound to a process through one connection. Owned by <see cref="MiniAppHost"/>.</summary>
internal sealed class MiniAppSession
{
    private long lastUsedTicks;
    private int state;

    public MiniAppSession(MiniAppKey key, HostedMiniProcess process, IpcConnection connection)
    {
        this.Key = key;
        this.Process = process;
        this.Connection = connection;
        this.StartedAt = DateTimeOffset.UtcNow;
        this.state = (int)MiniAppState.Running;
        this.Touch();
    }

    public MiniAppKey Key { get; }

    public HostedMiniProcess Process { get; }

    public IpcConnection Connection { get; }

    public DateTimeOffset StartedAt { get; }

    public DateTimeOffset LastUsedAt => new(Interlocked.Read(ref this.lastUsedTicks), TimeSpan.Zero);

    public MiniAppState State => (MiniAppState)Volatile.Read(ref this.state);

    public void Touch() => Interlocked.Exchange(ref this.lastUsedTicks, DateTimeOffset.UtcNow.UtcTicks);

    /// <summary>Marks the session as stopping; true for the one caller that did it.</summary>
    public bool TryBeginStopping() => Interlocked.Exchange(ref this.state, (int)MiniAppState.Stopping) != (int)MiniAppState.Stopping;

    public MiniAppInfo Snapshot() => new(this.Key.AppId, this.Key.VerType, this.Process.ProcessId, this.State, this.StartedAt, this.LastUsedAt, this.Process.Process.StartedAt) { Sandbox = this.Process.Process.Sandbox };
}
