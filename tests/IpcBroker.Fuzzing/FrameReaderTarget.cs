using System.Buffers;
using System.IO.Pipelines;
using IpcBroker.Protocol;
using MessagePack;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace IpcBroker.Fuzzing;

/// <summary>
/// Fuzzes the JSON-RPC frame reader, <see cref="BoundedLengthHeaderMessageHandler"/>, with the formatter and options the
/// connection uses: the input is everything the peer sent on channel 0, read message by message until its end.
/// </summary>
/// <remarks>
/// <para>Each message is then decoded as far as the connection would: an <c>ipc.call</c> request's four arguments with
/// their declared types, a result as a <see cref="CallReply"/>, an error's data as <see cref="CommonErrorData"/>.</para>
/// <para>The documented refusals: <see cref="MessageTooLargeException"/> (bad length), <see cref="EndOfStreamException"/>
/// (a frame cut short), <c>MessagePackSerializationException</c> (not decodable), and
/// <see cref="RpcArgumentDeserializationException"/> (arguments of the wrong type). Each makes <see cref="JsonRpc"/> drop
/// the message or the connection; anything else escaping is a finding.</para>
/// </remarks>
public static class FrameReaderTarget
{
    /// <summary>The frame cap the connection uses by default.</summary>
    public static readonly int MaxMessageBytes = new IpcConnectionOptions().EffectiveMaxMessageBytes;

    /// <summary>The <c>ipc.call</c> parameters, in order, as <see cref="IpcConnection"/> declares them.</summary>
    private static readonly (string Name, Type Type)[] CallParameters =
    [
        ("eventId", typeof(string)),
        ("timeoutMs", typeof(int)),
        ("payload", typeof(byte[])),
        ("payloadChannel", typeof(ulong)),
    ];

    /// <summary>Reads every message in <paramref name="input"/>.</summary>
    /// <param name="input">The fuzzer's input, taken as the bytes of channel 0.</param>
    public static void Run(ReadOnlySpan<byte> input) => Check(input);

    /// <inheritdoc cref="Run"/>
    /// <returns>Accepted when every byte was read as whole messages and each decoded as the connection would.</returns>
    public static FuzzOutcome Check(ReadOnlySpan<byte> input)
    {
        // The fuzzer calls synchronously; there is no synchronization context here, so blocking cannot deadlock, and the
        // pipe holds the whole input, so reads complete without waiting.
#pragma warning disable VSTHRD002 // Avoid problematic synchronous waits
        return RunAsync(input.ToArray()).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    private static async Task<FuzzOutcome> RunAsync(byte[] bytes)
    {
        var pipe = new DuplexPipe(PipeReader.Create(new ReadOnlySequence<byte>(bytes)), PipeWriter.Create(Stream.Null));
        var formatter = new MessagePackFormatter();
        formatter.SetMessagePackSerializerOptions(IpcConnection.SerializerOptions);
        using var handler = new BoundedLengthHeaderMessageHandler(pipe, formatter, MaxMessageBytes);
        FuzzOutcome outcome = FuzzOutcome.Accepted;
        while (true)
        {
            JsonRpcMessage? message;
            try
            {
                message = await handler.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MessageTooLargeException or EndOfStreamException or MessagePackSerializationException)
            {
                return FuzzOutcome.Refused;
            }

            if (message is null)
            {
                return outcome;
            }

            try
            {
                if (!Inspect(message))
                {
                    outcome = FuzzOutcome.Refused;
                }
            }
            catch (Exception ex) when (ex is MessagePackSerializationException or RpcArgumentDeserializationException)
            {
                // JsonRpc answers such a request with InvalidParams, or fails the one call whose result this was.
                outcome = FuzzOutcome.Refused;
            }
        }
    }

    /// <summary>Decodes what the connection would decode of <paramref name="message"/>; false when something was missing.</summary>
    private static bool Inspect(JsonRpcMessage message)
    {
        switch (message)
        {
            case JsonRpcRequest request when request.Method == IpcConnection.CallMethod:
                for (int i = 0; i < CallParameters.Length; i++)
                {
                    if (!request.TryGetArgumentByNameOrIndex(CallParameters[i].Name, i, CallParameters[i].Type, out _))
                    {
                        return false;
                    }
                }

                return true;
            case JsonRpcResult result:
                return result.GetResult<CallReply>() is not null;
            case JsonRpcError { Error: { } error }:
                _ = error.GetData(typeof(CommonErrorData));
                return true;
            default:
                return true;
        }
    }
}
