namespace IpcBroker;

/// <summary>The one outcome of a call: success with a bundle, or a failure with a code and a message.</summary>
public sealed class IpcResult
{
    /// <summary>The key under which the callback form puts <see cref="ErrorCode"/> (an int) in a failure's bundle.</summary>
    public const string ErrorCodeKey = "errCode";

    /// <summary>The key under which the callback form puts <see cref="ErrorMessage"/> in a failure's bundle.</summary>
    public const string ErrorMessageKey = "errMsg";

    private IpcResult(IpcErrorCode errorCode, string? errorMessage, Bundle data)
    {
        this.ErrorCode = errorCode;
        this.ErrorMessage = errorMessage;
        this.Data = data;
    }

    /// <summary>Gets a value indicating whether the call succeeded.</summary>
    public bool IsSuccess => this.ErrorCode == IpcErrorCode.None;

    /// <summary>Gets the answer's bundle: the response on success, any detail the handler gave on failure (often empty). Never null.</summary>
    public Bundle Data { get; }

    /// <summary>Gets why the call failed, or <see cref="IpcErrorCode.None"/>.</summary>
    public IpcErrorCode ErrorCode { get; }

    /// <summary>Gets a readable reason when the call failed; null on success.</summary>
    public string? ErrorMessage { get; }

    /// <summary>Creates a success.</summary>
    /// <param name="data">The response.</param>
    /// <returns>The result.</returns>
    public static IpcResult Success(Bundle? data) => new(IpcErrorCode.None, null, data ?? new Bundle());

    /// <summary>Creates a failure.</summary>
    /// <param name="code">Why; must not be <see cref="IpcErrorCode.None"/>.</param>
    /// <param name="message">A readable reason.</param>
    /// <param name="data">Optional detail.</param>
    /// <returns>The result.</returns>
    public static IpcResult Failure(IpcErrorCode code, string message, Bundle? data = null)
    {
        if (code == IpcErrorCode.None)
        {
            throw new ArgumentException("A failure needs an error code.", nameof(code));
        }

        return new(code, message, data ?? new Bundle());
    }

    /// <summary>
    /// Gets the bundle the SDK's callback form hands to <see cref="IIpcCallback.Result"/>: <see cref="Data"/> on success; on
    /// failure a copy of it with <see cref="ErrorCodeKey"/> and <see cref="ErrorMessageKey"/> added.
    /// </summary>
    /// <returns>The bundle.</returns>
    public Bundle ToCallbackBundle()
    {
        if (this.IsSuccess)
        {
            return this.Data;
        }

        var bundle = new Bundle(this.Data.Count + 2);
        foreach (KeyValuePair<string, object?> entry in this.Data.Entries())
        {
            bundle.SetRaw(entry.Key, entry.Value);
        }

        return bundle.PutInt(ErrorCodeKey, (int)this.ErrorCode).PutString(ErrorMessageKey, this.ErrorMessage);
    }

    /// <inheritdoc/>
    public override string ToString() => this.IsSuccess ? $"ok {this.Data}" : $"{this.ErrorCode}: {this.ErrorMessage}";
}
