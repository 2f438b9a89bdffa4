namespace IpcBroker.Protocol;

/// <summary>Thrown when a frame declares a length that is not positive or exceeds the configured maximum; the connection is closed.</summary>
internal sealed class MessageTooLargeException : IOException
{
    /// <summary>Initializes a new instance of the <see cref="MessageTooLargeException"/> class.</summary>
    /// <param name="declaredLength">The length the frame declared.</param>
    /// <param name="maxLength">The maximum allowed.</param>
    public MessageTooLargeException(int declaredLength, int maxLength)
        : base($"A frame declared {declaredLength} bytes; the maximum is {maxLength} (MaxMessageBytes). The connection was closed before reading it.")
    {
        this.DeclaredLength = declaredLength;
        this.MaxLength = maxLength;
    }

    /// <summary>Gets the length the frame declared.</summary>
    public int DeclaredLength { get; }

    /// <summary>Gets the maximum allowed.</summary>
    public int MaxLength { get; }
}
