using IpcBroker.Sessions;
using Nerdbank.Streams;

namespace IpcBroker.Fuzzing;

/// <summary>
/// Fuzzes both halves of <see cref="Handshake"/> that read a peer's bytes: the host reading a hello
/// (<see cref="Handshake.ReadHelloAsync"/>) and the mini process reading the verdict (<see cref="Handshake.SendHelloAsync"/>).
/// Each reads the whole input from its start.
/// </summary>
/// <remarks>
/// <see cref="HandshakeException"/> (malformed or refused) and <see cref="EndOfStreamException"/> (the peer closed early)
/// are the documented outcomes. A hello that parses must carry a secret of 16 to 64 bytes; a verdict read without an
/// exception must have said Accepted.
/// </remarks>
public static class HandshakeTarget
{
    private static readonly byte[] Secret = new byte[Handshake.SecretBytes];

    /// <summary>Parses <paramref name="input"/> as a hello, then as a verdict.</summary>
    /// <param name="input">The fuzzer's input, taken as what the peer sent.</param>
    public static void Run(ReadOnlySpan<byte> input) => Check(input);

    /// <inheritdoc cref="Run"/>
    /// <returns>Accepted when the input parsed as a hello or as an accepting verdict.</returns>
    public static FuzzOutcome Check(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();

        // The fuzzer calls synchronously; there is no synchronization context here, so blocking cannot deadlock, and every
        // read is from memory, so these complete without waiting.
#pragma warning disable VSTHRD002 // Avoid problematic synchronous waits
        bool hello = ReadHelloAsync(bytes).GetAwaiter().GetResult();
        bool verdict = ReadVerdictAsync(bytes).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        return hello || verdict ? FuzzOutcome.Accepted : FuzzOutcome.Refused;
    }

    private static async Task<bool> ReadHelloAsync(byte[] bytes)
    {
        (int version, byte[] secret) hello;
        try
        {
            hello = await Handshake.ReadHelloAsync(new MemoryStream(bytes, writable: false), CancellationToken.None).ConfigureAwait(false);
        }
        catch (HandshakeException)
        {
            return false;
        }
        catch (EndOfStreamException)
        {
            return false;
        }

        if (hello.secret.Length is < 16 or > 64 || hello.version is < 0 or > ushort.MaxValue)
        {
            throw new FuzzFindingException($"A hello parsed with version {hello.version} and a {hello.secret.Length}-byte secret.");
        }

        return true;
    }

    private static async Task<bool> ReadVerdictAsync(byte[] bytes)
    {
        // The mini side writes its hello first; what it writes goes nowhere, what it reads is the input.
        using Stream duplex = FullDuplexStream.Splice(new MemoryStream(bytes, writable: false), Stream.Null);
        try
        {
            await Handshake.SendHelloAsync(duplex, Secret, Handshake.ProtocolVersion, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HandshakeException)
        {
            return false;
        }
        catch (EndOfStreamException)
        {
            return false;
        }

        if (bytes[0] != (byte)HandshakeStatus.Accepted)
        {
            throw new FuzzFindingException($"A verdict with status {bytes[0]} was taken as accepted.");
        }

        return true;
    }
}
