using System.Buffers.Binary;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Text.Json;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The child's side of a start by the host's launcher, written out by hand so that a bare process needs no IpcBroker
/// assembly: read the launch line from standard input, take the pre-connected socket (or connect to the pipe when the
/// sandbox is off), present the secret in the hello, and wait for the host's verdict.
/// </summary>
/// <remarks>The wire format is <c>Handshake</c>'s (src/Broker/IpcBroker/Sessions/Handshake.cs): "IPCB", the protocol
/// version (from the launch line), the secret's length and the secret; the verdict is a status byte, the host's version
/// and a message.</remarks>
internal static class LaunchedChildSide
{
    public static async Task<Stream> ConnectAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        string line = await Console.In.ReadLineAsync(deadline.Token) ?? throw new IOException("no launch line on standard input");
        using JsonDocument launch = JsonDocument.Parse(line);
        JsonElement root = launch.RootElement;
        byte[] secret = Convert.FromBase64String(root.GetProperty("secret").GetString()!);
        int version = root.GetProperty("protocol").GetInt32();
        Stream stream;
        if (root.TryGetProperty("socketFd", out JsonElement fd) && fd.ValueKind == JsonValueKind.Number)
        {
            stream = new NetworkStream(new Socket(new SafeSocketHandle(fd.GetInt32(), ownsHandle: true)), ownsSocket: true);
        }
        else
        {
            var pipe = new NamedPipeClientStream(".", root.GetProperty("pipe").GetString()!, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
            await pipe.ConnectAsync(deadline.Token);
            stream = pipe;
        }

        byte[] hello = new byte[7 + secret.Length];
        "IPCB"u8.CopyTo(hello);
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(4), (ushort)version);
        hello[6] = (byte)secret.Length;
        secret.CopyTo(hello, 7);
        await stream.WriteAsync(hello, deadline.Token);
        byte[] head = new byte[5];
        await stream.ReadExactlyAsync(head, deadline.Token);
        byte[] message = new byte[BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(3))];
        await stream.ReadExactlyAsync(message, deadline.Token);
        if (head[0] != 0)
        {
            throw new IOException($"the host refused the connection ({head[0]}): {System.Text.Encoding.UTF8.GetString(message)}");
        }

        return stream;
    }
}
