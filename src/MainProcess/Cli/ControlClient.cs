using System.IO.Pipes;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>The other verbs' connection to a running <c>serve</c> host.</summary>
internal static class ControlClient
{
    public static async Task<JsonRpc> ConnectAsync(CliArguments args, object? target = null)
    {
        ConnectionFile file = ConnectionFile.Read(args.Option("--connection") ?? ConnectionFile.DefaultPath);
        var pipe = new NamedPipeClientStream(".", file.ControlPath, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            // The host makes its control socket before it writes the connection file, so a missing socket means the host
            // is gone; the bound keeps a wedged one from hanging the command.
            await pipe.ConnectAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or UnauthorizedAccessException)
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw new CliException($"the host in {file.ControlPath} (pid {file.ProcessId}) does not answer: {ex.Message}");
        }

        var rpc = new JsonRpc(pipe);
        if (target is not null)
        {
            rpc.AddLocalRpcTarget(target);
        }

        rpc.StartListening();
        await rpc.InvokeAsync("Hello", file.Token).ConfigureAwait(false);
        return rpc;
    }
}
