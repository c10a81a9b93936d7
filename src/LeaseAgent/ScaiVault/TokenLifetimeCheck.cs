using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using LeaseAgent.Configuration;
using LeaseAgent.Diagnostics;
using Microsoft.Extensions.Logging;
using ScaiVault.Client;

namespace LeaseAgent.ScaiVault;

/// <summary>
/// A static <c>SCAIVAULT_TOKEN</c> is never refreshed, so when it expires before a lease's hard end (max TTL),
/// renewals and the rotation will fail then. This asks ScaiVault when the token expires
/// (<c>GET /v1/auth/whoami</c> → <c>token_expires_at</c>) so that the supervisor can warn at start instead.
/// </summary>
public sealed class TokenLifetimeCheck(
    HttpClient http,
    IScaiVaultTokenSource tokens,
    ScaiVaultOptions options,
    TimeProvider time,
    ILogger<TokenLifetimeCheck> logger)
{
    /// <summary>[doc] in the contract; there is no override key because the docs fix it.</summary>
    public const string WhoAmIPath = "/v1/auth/whoami";

    /// <summary>
    /// When the current ScaiVault token expires, as ScaiVault says; null when it does not say (a token without
    /// an expiry, or a server that omits the field). One attempt within <c>SCAIVAULT_TIMEOUT</c>: this is advice,
    /// not worth retries. Failures are <see cref="ScaiVaultException"/>s like any other call's.
    /// </summary>
    public async Task<DateTimeOffset?> GetTokenExpiryAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var token = await tokens.GetTokenAsync(linked.Token);
            using var response = await ScaiVaultHttp.SendAsync(
                http,
                () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Get, ScaiVaultHttp.Combine(options.BaseUrl, WhoAmIPath));
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    return request;
                },
                ScaiVaultPeer.ScaiVault(options.ToClientOptions()),
                linked.Token);
            return ParseExpiry(await ScaiVaultHttp.ReadBodyAsync(response, linked.Token), ScaiVaultHttp.RequestId(response));
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ScaiVaultException(null, ErrorCodes.Timeout, "ScaiVault did not answer whoami in time", inner: e);
        }
    }

    /// <summary>True when a token expiring at <paramref name="tokenExpiresAt"/> is dead before the lease's hard end.</summary>
    public static bool DiesBefore(DateTimeOffset tokenExpiresAt, DateTimeOffset leaseHardEnd) => tokenExpiresAt < leaseHardEnd;

    /// <summary>Logs the warning when the token dies before the lease's hard end; returns whether it did.</summary>
    public bool WarnIfDiesBefore(DateTimeOffset? tokenExpiresAt, DateTimeOffset leaseHardEnd)
    {
        if (tokenExpiresAt is not { } expiresAt || !DiesBefore(expiresAt, leaseHardEnd))
        {
            return false;
        }

        Log.TokenDiesBeforeHardEnd(logger, expiresAt.ToUniversalTime(), leaseHardEnd.ToUniversalTime());
        return true;
    }

    /// <summary>
    /// <c>token_expires_at</c> as an ISO 8601 string (the contract's timestamps) or, tolerantly, unix seconds;
    /// null or absent means "no expiry known". Anything else is a malformed answer, never a crash.
    /// </summary>
    internal static DateTimeOffset? ParseExpiry(ReadOnlySpan<byte> body, string? requestId = null)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Malformed("the body is not a JSON object", requestId);
            }

            if (!document.RootElement.TryGetProperty("token_expires_at", out var value))
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String when DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => at,
                JsonValueKind.Number when value.TryGetInt64(out var seconds) && seconds is > 0 and < 253_402_300_800 => DateTimeOffset.FromUnixTimeSeconds(seconds),
                _ => throw Malformed("token_expires_at is neither a timestamp nor null", requestId),
            };
        }
        catch (JsonException)
        {
            throw Malformed("the body is not JSON", requestId);
        }
    }

    private static ScaiVaultException Malformed(string problem, string? requestId) =>
        new(null, ErrorCodes.MalformedResponse, $"ScaiVault's whoami answer cannot be used: {problem}", requestId);
}
