using System.IO.Pipes;
using StreamJsonRpc;

namespace IpcBroker.MainProcess.Cli;

/// <summary>The other verbs' connection to a running <c>serve</c> host.</summary>
internal static class ControlClient
{
    /// <summary>How long a verb waits for the host to answer: above the host's own bounds (a start 15 s, a call 25 s).</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long connecting and presenting the token may take.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Asks the host; a host that does not answer within <see cref="AnswerTimeout"/> (stopped, wedged) is an error, not a hang.</summary>
    public static async Task<T> AskAsync<T>(this JsonRpc rpc, string method, params object?[] arguments)
    {
        try
        {
            return await rpc.InvokeAsync<T>(method, arguments).WaitAsync(AnswerTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new CliException($"the host did not answer '{method}' within {AnswerTimeout.TotalSeconds:0} s");
        }
    }

    /// <inheritdoc cref="AskAsync{T}(JsonRpc, string, object?[])"/>
    public static Task AskAsync(this JsonRpc rpc, string method, params object?[] arguments) => rpc.AskAsync<object?>(method, arguments);

    public static async Task<JsonRpc> ConnectAsync(string connectionPath, object? target = null)
    {
        ConnectionFile file = ConnectionFile.Read(connectionPath);
        var pipe = new NamedPipeClientStream(".", file.ControlPath, PipeDirection.InOut, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            // The host makes its control socket before it writes the connection file, so a missing socket means the host
            // is gone; the bound keeps a wedged one from hanging the command.
            await pipe.ConnectAsync(ConnectTimeout, CancellationToken.None).ConfigureAwait(false);
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
        try
        {
            await rpc.InvokeAsync("Hello", file.Token).WaitAsync(ConnectTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            rpc.Dispose();
            throw new CliException($"the host in {file.ControlPath} (pid {file.ProcessId}) accepted the connection but did not answer within {ConnectTimeout.TotalSeconds:0} s");
        }
        catch
        {
            rpc.Dispose();
            throw;
        }

        return rpc;
    }
}
