using System.Buffers;
using MessagePack;
using MessagePack.Formatters;

namespace IpcBroker.Protocol;

/// <summary>The answer to an <c>ipc.call</c> request as it crosses the wire: <c>[status, message, payload]</c>.</summary>
/// <param name="Status">An <see cref="IpcErrorCode"/> number; 0 for success.</param>
/// <param name="Message">The failure's reason, or null.</param>
/// <param name="Payload">The encoded response bundle (see <see cref="BundleCodec"/>), or null for an empty one.</param>
internal sealed record CallReply(int Status, string? Message, byte[]? Payload)
{
    /// <summary>Encodes <see cref="CallReply"/> as a three-element MessagePack array, without the dynamic resolver.</summary>
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

            writer.WriteArrayHeader(3);
            writer.Write(value.Status);
            writer.Write(value.Message);
            writer.Write(value.Payload);
        }

        public CallReply? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            if (reader.ReadArrayHeader() != 3)
            {
                throw new MessagePackSerializationException("A call reply must be a three-element array.");
            }

            int status = reader.ReadInt32();
            string? message = reader.ReadString();
            byte[]? payload = reader.ReadBytes()?.ToArray();
            return new CallReply(status, message, payload);
        }
    }
}
