namespace IpcBroker.Testing;

/// <summary>Puts a method's cancellation token into a call's options, so that a token in either place cancels the call.</summary>
internal static class CancellableCall
{
    /// <summary>Runs <paramref name="call"/> with <paramref name="options"/> cancelled by their own token or by <paramref name="cancellationToken"/>.</summary>
    /// <param name="call">The call, given the options to use.</param>
    /// <param name="options">The caller's options, or null.</param>
    /// <param name="cancellationToken">The method's token.</param>
    /// <returns>The call's one outcome.</returns>
    public static async Task<IpcResult> RunAsync(Func<IpcCallOptions?, Task<IpcResult>> call, IpcCallOptions? options, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return await call(options).ConfigureAwait(false);
        }

        if (options is null || !options.CancellationToken.CanBeCanceled)
        {
            return await call((options ?? new IpcCallOptions()) with { CancellationToken = cancellationToken }).ConfigureAwait(false);
        }

        // Both: either cancels. The linked source lives until the call's one outcome.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, cancellationToken);
        return await call(options with { CancellationToken = either.Token }).ConfigureAwait(false);
    }
}
