using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace IpcBroker.Protocol;

/// <summary>The answer to an <c>ipc.call</c> request as it crosses the wire: <c>[status, message, payload, payloadChannel]</c>.</summary>
/// <param name="Status">An <see cref="IpcErrorCode"/> number; 0 for success.</param>
/// <param name="Message">The failure's reason, or null.</param>
/// <param name="Payload">The encoded response bundle (see <see cref="BundleCodec"/>), or null for an empty one or one sent on a channel.</param>
/// <param name="PayloadChannel">The id of the multiplexed channel carrying a large response bundle, or 0.</param>
internal sealed record CallReply(int Status, string? Message, byte[]? Payload, ulong PayloadChannel = 0)
{
    /// <summary>Encodes <see cref="CallReply"/> as a four-element MessagePack array, without the dynamic resolver.</summary>
    internal sealed class Formatter : IMessagePackFormatter<CallReply?>
    {
        public static readonly Formatter Instance = new();

        public void Serialize(ref MessagePackWriter writer, CallReply? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteArrayHeader(4);
            writer.Write(value.Status);
            writer.Write(value.Message);
            writer.Write(value.Payload);
            writer.Write(value.PayloadChannel);
        }

        public CallReply? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            if (reader.ReadArrayHeader() != 4)
            {
                throw new MessagePackSerializationException("A call reply must be a four-element array.");
            }

            int status = reader.ReadInt32();
            string? message = reader.ReadString();
            byte[]? payload = reader.ReadBytes()?.ToArray();
            ulong channel = reader.ReadUInt64();
            return new CallReply(status, message, payload, channel);
        }
    }
}
