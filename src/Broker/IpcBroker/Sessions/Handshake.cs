using System.Buffers.Binary;
using System.Text;

namespace IpcBroker.Sessions;

/// <summary>
/// The first bytes on a new connection, before anything else is read: the mini process proves its one-time secret and
/// names its protocol version; the host answers with a verdict. Nothing is dispatched before an accepted verdict.
/// </summary>
/// <remarks>
/// <para>Hello (mini → host): the 4 ASCII bytes <c>IPCB</c>, the protocol version (uint16 big-endian), the secret's length
/// (1 byte, 16–64) and the secret.</para>
/// <para>Verdict (host → mini): a <see cref="HandshakeStatus"/> byte, the host's protocol version (uint16 big-endian), a message
/// length (uint16 big-endian, at most <see cref="MaxMessageBytes"/>) and the message in UTF-8.</para>
/// <para>Every read has a fixed, small size, so a peer that sends garbage costs at most a few bytes; the caller bounds the
/// time with its token.</para>
/// </remarks>
internal static class Handshake
{
    /// <summary>The protocol version this build speaks: 3 since the launch line may hand over a connected socket (<c>socketFd</c>).</summary>
    public const int ProtocolVersion = 3;

    /// <summary>The length of the secrets the host generates, in bytes.</summary>
    public const int SecretBytes = 32;

    /// <summary>The longest verdict message, in bytes.</summary>
    public const int MaxMessageBytes = 1024;

    private static ReadOnlySpan<byte> Magic => "IPCB"u8;

    /// <summary>
    /// Says that a host and a mini process speak different protocol versions, naming both; the host's refusal, its log,
    /// the start's exception and the mini process's exit all use it, so each side reads the same sentence.
    /// </summary>
    /// <param name="hostVersion">The host's protocol version.</param>
    /// <param name="miniVersion">The mini process's protocol version.</param>
    /// <returns>The sentence, without a final stop.</returns>
    public static string DescribeVersionMismatch(int hostVersion, int miniVersion) =>
        $"the host speaks IpcBroker protocol version {hostVersion} and the mini process version {miniVersion}; build both from the same IpcBroker package version";

    /// <summary>Sends the hello and reads the verdict (mini side).</summary>
    /// <param name="stream">The connected stream.</param>
    /// <param name="secret">The secret from the launch info.</param>
    /// <param name="protocolVersion">The version to announce.</param>
    /// <param name="cancellationToken">Bounds the exchange.</param>
    /// <returns>A task that completes when the host accepted.</returns>
    /// <exception cref="HandshakeException">When the host refused; the message is the host's.</exception>
    public static async Task SendHelloAsync(Stream stream, ReadOnlyMemory<byte> secret, int protocolVersion, CancellationToken cancellationToken)
    {
        if (secret.Length is < 16 or > 64)
        {
            throw new ArgumentException("The secret must be 16 to 64 bytes.", nameof(secret));
        }

        byte[] hello = new byte[4 + 2 + 1 + secret.Length];
        Magic.CopyTo(hello);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(4), checked((ushort)protocolVersion));
        hello[6] = (byte)secret.Length;
        secret.Span.CopyTo(hello.AsSpan(7));
        await stream.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        byte[] head = new byte[5];
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        var status = (HandshakeStatus)head[0];
        int messageLength = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(3));
        if (messageLength > MaxMessageBytes)
        {
            throw new HandshakeException(HandshakeStatus.Malformed, "The host's verdict is malformed.");
        }

        byte[] message = new byte[messageLength];
        await stream.ReadExactlyAsync(message, cancellationToken).ConfigureAwait(false);
        if (status != HandshakeStatus.Accepted)
        {
            throw new HandshakeException(status, $"The host refused the connection ({status}): {Encoding.UTF8.GetString(message)}");
        }
    }

    /// <summary>Reads a hello (host side).</summary>
    /// <param name="stream">The connected stream.</param>
    /// <param name="cancellationToken">Bounds the read.</param>
    /// <returns>The announced protocol version and the secret.</returns>
    /// <exception cref="HandshakeException">When the hello is malformed.</exception>
    /// <exception cref="EndOfStreamException">When the peer closed early.</exception>
    public static async Task<(int ProtocolVersion, byte[] Secret)> ReadHelloAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] head = new byte[7];
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        if (!head.AsSpan(0, 4).SequenceEqual(Magic))
        {
            throw new HandshakeException(HandshakeStatus.Malformed, "The connection did not start with an IpcBroker hello.");
        }

        int version = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(4));
        int secretLength = head[6];
        if (secretLength is < 16 or > 64)
        {
            throw new HandshakeException(HandshakeStatus.Malformed, "The hello's secret has an impossible length.");
        }

        byte[] secret = new byte[secretLength];
        await stream.ReadExactlyAsync(secret, cancellationToken).ConfigureAwait(false);
        return (version, secret);
    }

    /// <summary>Writes the verdict (host side).</summary>
    /// <param name="stream">The connected stream.</param>
    /// <param name="status">The verdict.</param>
    /// <param name="message">A reason for the mini process's log; it must not help an impostor (say "denied", not why).</param>
    /// <param name="cancellationToken">Bounds the write.</param>
    /// <returns>A task that completes when written.</returns>
    public static async Task WriteVerdictAsync(Stream stream, HandshakeStatus status, string message, CancellationToken cancellationToken)
    {
        byte[] text = Encoding.UTF8.GetBytes(message);
        if (text.Length > MaxMessageBytes)
        {
            Array.Resize(ref text, MaxMessageBytes);
        }

        byte[] verdict = new byte[5 + text.Length];
        verdict[0] = (byte)status;
        BinaryPrimitives.WriteUInt16BigEndian(verdict.AsSpan(1), ProtocolVersion);
        BinaryPrimitives.WriteUInt16BigEndian(verdict.AsSpan(3), (ushort)text.Length);
        text.CopyTo(verdict, 5);
        await stream.WriteAsync(verdict, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
