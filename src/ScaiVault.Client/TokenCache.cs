namespace ScaiVault.Client;

/// <summary>
/// The one ScaiVault bearer token a fetching token source holds (workload exchange, client credentials). Callers
/// that find it stale queue on a gate, so a burst of calls after expiry makes one token request, not one each.
/// The token and its end are swapped as one object so that a reader never pairs a new token with an old end.
/// </summary>
internal sealed class TokenCache(TimeProvider time) : IDisposable
{
    private static readonly TimeSpan MaxCacheTime = TimeSpan.FromMinutes(50);
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(60);

    /// <summary>Used when a server omits <c>expires_in</c> or sends nonsense: short, so a wrong guess costs little.</summary>
    private static readonly TimeSpan UnknownLifetime = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Entry? _entry;

    /// <summary>Returns the cached token while it is fresh; otherwise fetches one (token and its <c>expires_in</c>).</summary>
    public async ValueTask<string> GetAsync(Func<CancellationToken, Task<(string Token, TimeSpan Lifetime)>> fetch, CancellationToken cancellationToken)
    {
        if (_entry is { } cached && !cached.ValidUntil.IsPast(time))
        {
            return cached.Token;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_entry is { } raced && !raced.ValidUntil.IsPast(time))
            {
                return raced.Token;
            }

            var (token, lifetime) = await fetch(cancellationToken);
            _entry = new Entry(token, Deadline.From(time, CacheTime(lifetime)));
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Invalidate() => _entry = null;

    public void Dispose() => _gate.Dispose();

    /// <summary>
    /// How long a token that lives <paramref name="expiresIn"/> may be reused: <c>min(expires_in − 60 s, 50 min)</c>;
    /// a token too short-lived for the margin is kept for half its life. ScaiVault's docs say only that tokens last an
    /// hour and that clients re-request "a few seconds before expiry"; the 60 s margin and the 50 min cap are ours
    /// (docs/scaivault-api.md): room for clock skew, and a bound if a server reports an implausibly long life.
    /// </summary>
    public static TimeSpan CacheTime(TimeSpan expiresIn)
    {
        var withMargin = expiresIn > ExpiryMargin * 2 ? expiresIn - ExpiryMargin : expiresIn / 2;
        return withMargin < MaxCacheTime ? withMargin : MaxCacheTime;
    }

    /// <summary>The token's lifetime from an OAuth <c>expires_in</c>, distrusting absent, negative or absurd values.</summary>
    public static TimeSpan Lifetime(double? expiresIn) =>
        expiresIn is > 0 and < 86_400 * 30 ? TimeSpan.FromSeconds(expiresIn.Value) : UnknownLifetime;

    private sealed record Entry(string Token, Deadline ValidUntil);
}
