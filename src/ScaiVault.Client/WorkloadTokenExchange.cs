using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace ScaiVault.Client;

/// <summary>
/// Trades a Kubernetes service-account JWT for a ScaiVault token (<c>POST /v1/auth/exchange</c>) and keeps the
/// ScaiVault token no longer than <c>min(expires_in − 60 s, 50 min)</c> (see <see cref="TokenCache.CacheTime"/>);
/// callers arriving while it is being fetched wait for that one exchange.
/// </summary>
/// <param name="subjectToken">
/// Supplies the JWT, asked again for every exchange: the agent re-reads its projected token file (the kubelet
/// rotates it), the CSI provider hands over the token of the latest mount request. Its exceptions pass through,
/// so it should throw <see cref="ScaiVaultException"/> with a code of its own when it has no token.
/// </param>
public sealed class WorkloadTokenExchange(
    HttpClient http,
    ScaiVaultClientOptions options,
    Func<CancellationToken, ValueTask<string>> subjectToken,
    TimeProvider time,
    ILogger<WorkloadTokenExchange> logger) : IScaiVaultTokenSource, IDisposable
{
    private readonly TokenCache _cache = new(time);
    private readonly ScaiVaultPeer _peer = ScaiVaultPeer.ScaiVault(options);

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => _cache.GetAsync(ExchangeAsync, cancellationToken);

    public void Invalidate() => _cache.Invalidate();

    public void Dispose() => _cache.Dispose();

    /// <summary>How long a ScaiVault token that lives <paramref name="expiresIn"/> may be reused.</summary>
    public static TimeSpan CacheTime(TimeSpan expiresIn) => TokenCache.CacheTime(expiresIn);

    private async Task<(string Token, TimeSpan Lifetime)> ExchangeAsync(CancellationToken cancellationToken)
    {
        var request = new ExchangeRequest(await subjectToken(cancellationToken), "urn:ietf:params:oauth:token-type:jwt");
        using var response = await ScaiVaultHttp.SendAsync(
            http,
            () => new HttpRequestMessage(HttpMethod.Post, ScaiVaultHttp.Combine(options.BaseUrl, options.ExchangePath))
            {
                Content = JsonContent.Create(request, ClientJsonContext.Default.ExchangeRequest),
            },
            _peer,
            cancellationToken);

        var body = await ScaiVaultHttp.ReadJsonAsync(response, ClientJsonContext.Default.ExchangeResponse, cancellationToken);
        if (string.IsNullOrEmpty(body.AccessToken))
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiVault's exchange answer has no access_token", ScaiVaultHttp.RequestId(response));
        }

        var lifetime = TokenCache.Lifetime(body.ExpiresIn);
        ClientLog.TokenExchanged(logger, lifetime.TotalSeconds, TokenCache.CacheTime(lifetime).TotalSeconds);
        return (body.AccessToken, lifetime);
    }
}
