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

    /// <summary>
    /// The parameters of <c>ipc.call</c> as <see cref="IpcConnection"/> declares its handler (less the cancellation token,
    /// which JsonRpc supplies), taken from <see cref="CallSignature"/>: JsonRpc matches a request against these.
    /// </summary>
    private static readonly System.Reflection.ParameterInfo[] CallParameters = typeof(FrameReaderTarget)
        .GetMethod(nameof(CallSignature), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
        .GetParameters();

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
        using var handler = new BoundedLengthHeaderMessageHandler(pipe, formatter, MaxMessageBytes, TimeSpan.FromSeconds(10));
        for (int id = 1; id <= 8; id++)
        {
            // The answers of the seed corpus (and their mutations) reach the decoder only as answers to requests sent.
            handler.ExpectAnswerTo(new RequestId(id));
        }

        FuzzOutcome outcome = FuzzOutcome.Accepted;
        while (true)
        {
            JsonRpcMessage? message;
            try
            {
                message = await handler.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MessageTooLargeException or ProtocolViolationException or EndOfStreamException or MessagePackSerializationException)
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

    /// <summary>Has the signature of the <c>ipc.call</c> handler in <see cref="IpcConnection"/>; never called.</summary>
    private static void CallSignature(string eventId, int timeoutMs, byte[]? payload, ulong payloadChannel) => _ = (eventId, timeoutMs, payload, payloadChannel);

    /// <summary>Decodes what the connection would decode of <paramref name="message"/>; false when something was missing.</summary>
    private static bool Inspect(JsonRpcMessage message)
    {
        switch (message)
        {
            case JsonRpcRequest request when request.Method == IpcConnection.CallMethod:
                // What JsonRpc does to pick the handler's arguments out of a request.
                object?[] arguments = new object?[CallParameters.Length];
                try
                {
                    return request.TryGetTypedArguments(CallParameters, arguments) == JsonRpcRequest.ArgumentMatchResult.Success;
                }
                catch (Exception ex) when (request.ArgumentCount == 0 && ex.GetType().FullName == "Microsoft.Assumes+InternalErrorException")
                {
                    // A request without params: StreamJsonRpc's MessagePackFormatter fails an internal assertion instead
                    // of reporting a missing argument (found by fuzzing, corpus/frame/regressions/). JsonRpc's dispatcher
                    // catches it and answers "The request could not be dispatched."; the connection stays open.
                    return false;
                }
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
