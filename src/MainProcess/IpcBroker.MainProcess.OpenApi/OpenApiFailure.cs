using IpcBroker.OpenApi;

namespace IpcBroker.MainProcess.OpenApi;

/// <summary>Ends an open-API request with an <see cref="OpenApiErrno"/> the mini program will see.</summary>
/// <param name="errno">The errno.</param>
/// <param name="message">A reason fit for the mini program.</param>
internal sealed class OpenApiFailure(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;

    /// <summary>Runs <paramref name="work"/> and answers <paramref name="request"/> with its bundle, or with the failure's errno.</summary>
    public static async Task AnswerAsync(IpcRequest request, Func<Task<Bundle>> work)
    {
        try
        {
            request.Ok(await work().ConfigureAwait(false));
        }
        catch (OpenApiFailure failure)
        {
            request.Fail(IpcErrorCode.HandlerFailed, failure.Message, new Bundle().PutInt(OpenApiErrno.Key, failure.Errno));
        }
    }
}
