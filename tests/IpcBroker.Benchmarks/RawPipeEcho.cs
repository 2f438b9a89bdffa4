using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipes;

namespace IpcBroker.Benchmarks;

/// <summary>
/// The floor: a length-prefixed echo over a bare named pipe (Unix socket) between two processes, with no framing
/// library, no serializer and no multiplexing. The server is this executable started with <c>raw-echo-server PATH</c>.
/// </summary>
internal static class RawPipeEcho
{
    public static async Task<int> ServeAsync(string path)
    {
        await using var server = new NamedPipeServerStream(path, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        Console.WriteLine("ready");
        await server.WaitForConnectionAsync();
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            try
            {
                await server.ReadExactlyAsync(buffer.AsMemory(0, 4));
            }
            catch (EndOfStreamException)
            {
                return 0;
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(buffer);
            await server.ReadExactlyAsync(buffer.AsMemory(4, length));
            await server.WriteAsync(buffer.AsMemory(0, 4 + length));
        }
    }

    /// <summary>Starts the echo server process and connects to it.</summary>
    public static async Task<(Process Server, NamedPipeClientStream Pipe)> StartAsync(string directory)
    {
        string path = Path.Combine(directory, "raw.sock");
        var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            startInfo.ArgumentList.Add(typeof(RawPipeEcho).Assembly.Location);
        }

        startInfo.ArgumentList.Add("raw-echo-server");
        startInfo.ArgumentList.Add(path);
        Process server = Process.Start(startInfo)!;
        var pipe = new NamedPipeClientStream(".", path, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            string? ready = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (ready != "ready")
            {
                throw new InvalidOperationException("The raw echo server did not start.");
            }

            await pipe.ConnectAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            return (server, pipe);
        }
        catch
        {
            await StopAsync(server, pipe);
            throw;
        }
    }

    /// <summary>
    /// Closes the pipe (the server exits at its end) and waits up to 10 s for the server to exit; kills it by its pid when it
    /// does not, and disposes it either way.
    /// </summary>
    public static async Task StopAsync(Process server, Stream pipe)
    {
        try
        {
            await pipe.DisposeAsync();
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is TimeoutException or IOException)
        {
            Console.Error.WriteLine($"the raw echo server {server.Id} did not exit by itself ({ex.Message}); killing it");
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            server.Dispose();
        }
    }

    public static async Task RoundTripAsync(Stream pipe, byte[] message, byte[] reply)
    {
        await pipe.WriteAsync(message);
        await pipe.ReadExactlyAsync(reply.AsMemory(0, message.Length));
    }
}
