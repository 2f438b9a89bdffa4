using System.Buffers;
using System.Collections.Concurrent;
using MessagePack;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace IpcBroker.Protocol;

/// <summary>
/// The check of a channel-0 frame's envelope before StreamJsonRpc's formatter sees it: a well-formed MessagePack map that
/// is a request for <c>ipc.call</c> (params <c>[str, int, bin|nil, uint]</c>, with an id) or a <c>$/cancelRequest</c>
/// notification, or an answer to a request this side sent and has not seen answered. Anything else throws
/// <see cref="ProtocolViolationException"/>.
/// </summary>
/// <remarks>
/// Reads without recursion, so a hostile nesting depth costs no stack; a declared length larger than the bytes left, or
/// one MessagePack reads as a negative signed int, is <see cref="ProtocolViolation.UndecodableFrame"/>.
/// </remarks>
internal static class JsonRpcEnvelope
{
    /// <summary>Skips one MessagePack value of any nesting without recursion, so a hostile depth costs no stack.</summary>
    private static void SkipIteratively(ref MessagePackReader reader)
    {
        long remaining = 1;
        while (remaining-- > 0)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    remaining += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    remaining += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static ProtocolViolationException Violation(ProtocolViolation violation, string detail) => new(violation, detail);

    /// <summary>Checks one frame's envelope: what it is, that its params fit its method, that an answer answers something.</summary>
    /// <param name="body">The frame's body.</param>
    /// <param name="outstanding">The ids of requests this side sent and has not seen answered; an answer removes its id.</param>
    /// <returns>Whether the frame is a request that expects an answer.</returns>
    /// <exception cref="ProtocolViolationException">When it does not.</exception>
    internal static bool Check(byte[] body, ConcurrentDictionary<RequestId, byte> outstanding)
    {
        var reader = new MessagePackReader(body);
        string? method = null;
        bool hasId = false, hasResult = false, hasError = false;
        RequestId id = default;
        ReadOnlySequence<byte>? parameters = null;
        try
        {
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                throw reader.NextMessagePackType == MessagePackType.Unknown
                    ? Violation(ProtocolViolation.UndecodableFrame, "the frame starts with a byte MessagePack never uses")
                    : Violation(ProtocolViolation.NotJsonRpc, "the message is not a map");
            }

            int count = reader.ReadMapHeader();
            for (int i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    throw Violation(ProtocolViolation.NotJsonRpc, "a key of the message is not a string");
                }

                switch (reader.ReadString())
                {
                    case "method":
                        method = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString()
                            : throw Violation(ProtocolViolation.NotJsonRpc, "the method is not a string");
                        break;
                    case "id":
                        hasId = true;
                        id = reader.NextMessagePackType switch
                        {
                            MessagePackType.Integer => new RequestId(reader.ReadInt64()),
                            MessagePackType.String => new RequestId(reader.ReadString()),
                            MessagePackType.Nil => reader.TryReadNil() ? RequestId.Null : default,
                            _ => throw Violation(ProtocolViolation.NotJsonRpc, "the id is not an integer, a string or nil"),
                        };
                        break;
                    case "params":
                        long start = reader.Consumed;
                        SkipIteratively(ref reader);
                        parameters = new ReadOnlySequence<byte>(body, (int)start, (int)(reader.Consumed - start));
                        break;
                    case "result":
                        hasResult = true;
                        SkipIteratively(ref reader);
                        break;
                    case "error":
                        hasError = true;
                        SkipIteratively(ref reader);
                        break;
                    default:
                        SkipIteratively(ref reader);
                        break;
                }
            }

            if (!reader.End)
            {
                throw Violation(ProtocolViolation.UndecodableFrame, "bytes follow the message");
            }
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
        {
            // ArgumentOutOfRangeException: MessagePack reads a str32/bin32/ext32 length as a signed int, so one of 2^31 or
            // more fails that way rather than as too long (found by fuzzing, corpus/frame/regressions/).
            throw new ProtocolViolationException(ProtocolViolation.UndecodableFrame, "the frame is not well-formed MessagePack", ex);
        }

        if (method is not null)
        {
            if (hasResult || hasError)
            {
                throw Violation(ProtocolViolation.NotJsonRpc, "a request carries a result or an error");
            }

            switch (method)
            {
                case IpcConnection.CallMethod:
                    ValidateCallParams(parameters);
                    if (!hasId || id.IsNull || id.IsEmpty)
                    {
                        // Every call is answered: one without an id would run a handler whose answer goes nowhere, and
                        // escape the count of unanswered requests that paces reading.
                        throw Violation(ProtocolViolation.NotJsonRpc, "an ipc.call without an id");
                    }

                    return true;
                case "$/cancelRequest":
                    if (hasId)
                    {
                        // A notification: sent with an id, StreamJsonRpc would answer it, and the answer would count
                        // against the peer's unanswered requests as if it answered a call.
                        throw Violation(ProtocolViolation.NotJsonRpc, "$/cancelRequest sent as a request (with an id)");
                    }

                    if (parameters is null || new MessagePackReader(parameters.Value).NextMessagePackType is not (MessagePackType.Map or MessagePackType.Array))
                    {
                        throw Violation(ProtocolViolation.BadParams, "$/cancelRequest without a params map");
                    }

                    break;
                default:
                    throw Violation(ProtocolViolation.UnknownMethod, "a request for an unknown method");
            }
        }
        else if (hasResult || hasError)
        {
            if (hasResult && hasError)
            {
                throw Violation(ProtocolViolation.NotJsonRpc, "an answer carries both a result and an error");
            }

            if (!hasId || id.IsNull || id.IsEmpty || !outstanding.TryRemove(id, out _))
            {
                throw Violation(ProtocolViolation.UnexpectedAnswer, "an answer to a request this side did not send or that was already answered");
            }
        }
        else
        {
            throw Violation(ProtocolViolation.NotJsonRpc, "the message is neither a request nor an answer");
        }

        return false;
    }

    /// <summary>Checks <c>ipc.call</c>'s params: exactly <c>[str, int (32-bit), bin|nil, uint]</c>.</summary>
    private static void ValidateCallParams(ReadOnlySequence<byte>? parameters)
    {
        if (parameters is null)
        {
            throw Violation(ProtocolViolation.BadParams, "ipc.call without params");
        }

        var reader = new MessagePackReader(parameters.Value);
        try
        {
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() != 4)
            {
                throw Violation(ProtocolViolation.BadParams, "ipc.call params are not an array of four");
            }

            if (reader.NextMessagePackType != MessagePackType.String)
            {
                throw Violation(ProtocolViolation.BadParams, "ipc.call's eventId is not a string");
            }

            reader.Skip();
            if (reader.NextMessagePackType != MessagePackType.Integer)
            {
                throw Violation(ProtocolViolation.BadParams, "ipc.call's timeoutMs is not an integer");
            }

            _ = reader.ReadInt32();
            if (reader.NextMessagePackType is not (MessagePackType.Binary or MessagePackType.Nil))
            {
                throw Violation(ProtocolViolation.BadParams, "ipc.call's payload is neither bin nor nil");
            }

            reader.Skip();
            if (reader.NextMessagePackType != MessagePackType.Integer)
            {
                throw Violation(ProtocolViolation.BadParams, "ipc.call's payloadChannel is not an integer");
            }

            _ = reader.ReadUInt64();
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new ProtocolViolationException(ProtocolViolation.BadParams, "ipc.call's params are out of range", ex);
        }
    }
}
