using System.Net;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// The fallback when no projected token is mounted: OAuth client credentials (RFC 6749 §4.4) against the ScaiKey
/// token URL, <c>grant_type=client_credentials&amp;client_id=…&amp;client_secret=…</c> → <c>{access_token, expires_in}</c>.
/// The secret file is re-read for every request, so a rotated secret takes effect without a restart, and the
/// secret is held only for the length of one request. The token is cached like the workload exchange's.
/// </summary>
public sealed class ClientCredentialsTokenSource(
    HttpClient http,
    ClientCredentialsOptions options,
    TimeProvider time,
    ILogger<ClientCredentialsTokenSource> logger) : IScaiVaultTokenSource, IDisposable
{
    /// <summary>ScaiKey shares ScaiVault's CA bundle (<c>SCAIVAULT_CA_FILE</c>): the agent has one HTTP client.</summary>
    private static readonly ScaiVaultPeer ScaiKey = new("ScaiKey", "SCAIKEY_TOKEN_URL", "SCAIVAULT_CA_FILE");

    private readonly TokenCache _cache = new(time);

    public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => _cache.GetAsync(RequestTokenAsync, cancellationToken);

    public void Invalidate() => _cache.Invalidate();

    public void Dispose() => _cache.Dispose();

    /// <summary>The token URL as it may be logged: no user info, query or fragment, which could carry credentials.</summary>
    internal static string Describe(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath}";

    private async Task<(string Token, TimeSpan Lifetime)> RequestTokenAsync(CancellationToken cancellationToken)
    {
        var secret = await ReadSecretAsync(cancellationToken);
        try
        {
            using var response = await ScaiVaultHttp.SendAsync(
                http,
                () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Post, options.TokenUrl)
                    {
                        Content = new FormUrlEncodedContent(
                        [
                            new("grant_type", "client_credentials"),
                            new("client_id", options.ClientId),
                            new("client_secret", secret),
                        ]),
                    };
                    request.Headers.Accept.ParseAdd("application/json");
                    return request;
                },
                ScaiKey,
                cancellationToken);

            var body = await ScaiVaultHttp.ReadJsonAsync(response, ClientJsonContext.Default.ExchangeResponse, cancellationToken, ScaiKey.Name);
            if (string.IsNullOrEmpty(body.AccessToken))
            {
                throw new ScaiVaultException(response.StatusCode, ErrorCodes.MalformedResponse, "ScaiKey's token answer has no access_token", ScaiVaultHttp.RequestId(response));
            }

            var lifetime = TokenCache.Lifetime(body.ExpiresIn);
            Log.ClientCredentialsTokenIssued(logger, options.ClientId, lifetime.TotalSeconds, TokenCache.CacheTime(lifetime).TotalSeconds);
            return (body.AccessToken, lifetime);
        }
        catch (ScaiVaultException e) when (e.Status is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw Refused(e, secret);
        }
        catch (ScaiVaultException e) when (Mentions(e, secret))
        {
            throw Redacted(e, e.Message, secret);
        }
    }

    private async Task<string> ReadSecretAsync(CancellationToken cancellationToken)
    {
        string secret;
        try
        {
            secret = (await File.ReadAllTextAsync(options.ClientSecretFile, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The exception's own message is left out: only its type, so that nothing read from the file can leak.
            throw new ScaiVaultException(null, ErrorCodes.ClientSecretUnreadable, $"cannot read the client secret file {options.ClientSecretFile} (SCAIVAULT_CLIENT_SECRET_FILE): {e.GetType().Name}");
        }

        return secret.Length > 0
            ? secret
            : throw new ScaiVaultException(null, ErrorCodes.ClientSecretUnreadable, $"the client secret file {options.ClientSecretFile} (SCAIVAULT_CLIENT_SECRET_FILE) is empty");
    }

    /// <summary>
    /// A refusal (RFC 6749 §5.2 answers 400 or 401: <c>invalid_client</c> and the like) names the client, the URL and the files to check, and
    /// keeps the server's code so callers can tell it apart; it stays non-transient, so nothing hammers ScaiKey.
    /// </summary>
    private ScaiVaultException Refused(ScaiVaultException e, string secret)
    {
        var message = $"ScaiKey at {Describe(options.TokenUrl)} refused the client credentials of client {options.ClientId} ({e.Message}); "
            + $"check SCAIVAULT_CLIENT_ID and the secret in {options.ClientSecretFile}";
        return Redacted(e, message, secret);
    }

    private static bool Mentions(ScaiVaultException e, string secret) =>
        e.Message.Contains(secret, StringComparison.Ordinal) || e.Code.Contains(secret, StringComparison.Ordinal);

    /// <summary>
    /// Our messages never include the secret, but a server's <c>error_description</c> is copied into them and a
    /// careless or hostile server could echo the form back; this makes sure the secret never reaches a log line.
    /// </summary>
    private static ScaiVaultException Redacted(ScaiVaultException e, string message, string secret)
    {
        var leaked = Mentions(e, secret);
        return new ScaiVaultException(
            e.Status,
            leaked ? e.Code.Replace(secret, "[redacted]", StringComparison.Ordinal) : e.Code,
            message.Replace(secret, "[redacted]", StringComparison.Ordinal),
            e.RequestId,
            e.RetryAfter,
            inner: leaked ? null : e);
    }
}
