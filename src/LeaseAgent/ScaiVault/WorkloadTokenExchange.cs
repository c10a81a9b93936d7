using System.Net.Http.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// Trades the pod's projected service-account JWT for a ScaiVault token (<c>POST /v1/auth/exchange</c>).
/// The token file is re-read on every exchange because the kubelet rotates it; the ScaiVault token is
/// kept no longer than <c>min(expires_in − 60 s, 50 min)</c> (see <see cref="TokenCache.CacheTime"/>).
/// </summary>
public sealed class WorkloadTokenExchange(
    HttpClient http,
    ScaiVaultOptions options,
    TimeProvider time,
    ILogger<WorkloadTokenExchange> logger) : IScaiVaultTokenSource, IDisposable
{
    private readonly TokenCache _cache = new(time);

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => _cache.GetAsync(ExchangeAsync, cancellationToken);

    public void Invalidate() => _cache.Invalidate();

    public void Dispose() => _cache.Dispose();

    /// <summary>How long a ScaiVault token that lives <paramref name="expiresIn"/> may be reused.</summary>
    public static TimeSpan CacheTime(TimeSpan expiresIn) => TokenCache.CacheTime(expiresIn);

    private async Task<(string Token, TimeSpan Lifetime)> ExchangeAsync(CancellationToken cancellationToken)
    {
        string subjectToken;
        try
        {
            subjectToken = (await File.ReadAllTextAsync(options.TokenFile, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScaiVaultException(null, ErrorCodes.TokenFileUnreadable, $"cannot read the service-account token file {options.TokenFile}: {e.GetType().Name}");
        }

        var request = new ExchangeRequest(subjectToken, "urn:ietf:params:oauth:token-type:jwt");
        using var response = await ScaiVaultHttp.SendAsync(
            http,
            () => new HttpRequestMessage(HttpMethod.Post, ScaiVaultHttp.Combine(options.BaseUrl, options.Paths.Exchange))
            {
                Content = JsonContent.Create(request, ScaiVaultJsonContext.Default.ExchangeRequest),
            },
            cancellationToken);

        var body = await ScaiVaultHttp.ReadJsonAsync(response, ScaiVaultJsonContext.Default.ExchangeResponse, cancellationToken);
        if (string.IsNullOrEmpty(body.AccessToken))
        {
            throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiVault's exchange answer has no access_token", ScaiVaultHttp.RequestId(response));
        }

        var lifetime = TokenCache.Lifetime(body.ExpiresIn);
        Log.TokenExchanged(logger, lifetime.TotalSeconds, TokenCache.CacheTime(lifetime).TotalSeconds);
        return (body.AccessToken, lifetime);
    }
}
