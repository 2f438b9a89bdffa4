namespace IpcBroker;

/// <summary>Thrown when a <see cref="Bundle"/> is larger than a <see cref="BundleLimits"/> allows.</summary>
public sealed class BundleLimitExceededException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="BundleLimitExceededException"/> class.</summary>
    /// <param name="limitName">The name of the limit, e.g. <c>MaxDepth</c>.</param>
    /// <param name="limit">The limit's value.</param>
    /// <param name="detail">What exceeded it.</param>
    public BundleLimitExceededException(string limitName, long limit, string detail)
        : base($"Bundle limit {limitName} ({limit}) exceeded: {detail}.")
    {
        this.LimitName = limitName;
        this.Limit = limit;
    }

    /// <summary>Gets the name of the limit that was exceeded: MaxDepth, MaxEntries or MaxBytes.</summary>
    public string LimitName { get; }

    /// <summary>Gets the value of the limit that was exceeded.</summary>
    public long Limit { get; }
}
