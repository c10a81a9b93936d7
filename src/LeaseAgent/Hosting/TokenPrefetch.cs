using ScaiVault.Client;

namespace LeaseAgent.Hosting;

/// <summary>
/// Fetches the first ScaiVault token on the thread pool as soon as the host is built, so that the exchange (one HTTP
/// round trip, and the first use of the HTTP stack) runs while the rest of the agent starts: the supervisors' and data
/// sources' construction, the host's start, the first status and journal writes (each flushed to disk). The token
/// source's cache makes the first caller that needs the token wait for this one exchange instead of starting its own
/// (ScaiVault.Client's token cache). One attempt, no retry, nothing logged on failure: the caller that needs the token then
/// exchanges again and reports the failure as it always did. Bounded by <c>SCAIVAULT_TIMEOUT</c>, the budget
/// of one HTTP attempt, and by <paramref name="stopping"/>. ADR 0020.
/// </summary>
internal static class TokenPrefetch
{
    public static void Start(IScaiVaultTokenSource tokens, TimeSpan attemptTimeout, CancellationToken stopping)
    {
        _ = Task.Run(async () =>
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            attempt.CancelAfter(attemptTimeout);
            try
            {
                await tokens.GetTokenAsync(attempt.Token);
            }
            catch (Exception e) when (e is ScaiVaultException or OperationCanceledException or HttpRequestException or IOException)
            {
                // Left to the first caller that needs the token, which exchanges again and reports it.
            }
        }, CancellationToken.None);
    }
}
