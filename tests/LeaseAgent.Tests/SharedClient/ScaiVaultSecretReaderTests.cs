using LeaseAgent.Tests.ScaiVault;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ScaiVault.Client;

namespace LeaseAgent.Tests.SharedClient;

/// <summary>
/// The library as the CSI provider uses it: a JWT held in memory (from the mount request) exchanged by
/// <see cref="WorkloadTokenExchange"/>, and secrets read by <see cref="ScaiVaultSecretReader"/>, against a real
/// HTTP server that counts what arrives.
/// </summary>
public sealed class ScaiVaultSecretReaderTests
{
    private const string SecretAnswer = """{"path": "apps/x", "version": 3, "data": {"password": "pw"}}""";
    private const string TokenExpired = """{"error": {"code": "token_expired", "message": "the token expired", "request_id": "req-1"}}""";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private int _exchanges;
    private string _jwt = "jwt.of.pod-1";
    private int _subjectTokenAsked;

    [Fact]
    public async Task Read_WithAnInMemoryJwt_ExchangesOnce_AndReusesTheTokenWithinItsLifetime()
    {
        await using var server = Start(secretAnswers: null);
        var (reader, exchange) = Create(server);
        using var _ = exchange;

        var first = await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);
        await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);

        Assert.Equal((3, "pw"), (first.Version, System.Text.Encoding.UTF8.GetString(first.Render("password"))));
        Assert.Equal(1, _exchanges);
        Assert.Equal(1, _subjectTokenAsked);
        var exchangeRequest = Assert.Single(server.Requests, r => r.StartsWith("POST /v1/auth/exchange ", StringComparison.Ordinal));
        Assert.Contains("\"subject_token\":\"jwt.of.pod-1\"", exchangeRequest, StringComparison.Ordinal);
        Assert.All(server.Requests.Where(r => r.StartsWith("GET ", StringComparison.Ordinal)), r => Assert.Contains("Authorization: Bearer sv-1", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Read_AfterTheCachedLifetime_ExchangesTheSourcesLatestJwt()
    {
        await using var server = Start(secretAnswers: null);
        var (reader, exchange) = Create(server);
        using var _ = exchange;
        await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);

        _jwt = "jwt.of.pod-1.remounted"; // the kubelet mints a fresh token for every mount
        _time.Advance(WorkloadTokenExchange.CacheTime(TimeSpan.FromHours(1)) - TimeSpan.FromSeconds(1));
        await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);
        Assert.Equal(1, _exchanges);

        _time.Advance(TimeSpan.FromSeconds(2));
        await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);

        Assert.Equal(2, _exchanges);
        Assert.Contains("\"subject_token\":\"jwt.of.pod-1.remounted\"", server.Requests.Last(r => r.StartsWith("POST ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("Authorization: Bearer sv-2", server.Requests[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_OnTokenExpired_ExchangesOnceMore_AndSucceeds()
    {
        await using var server = Start(secretAnswers: new Queue<(int, string)>([(401, TokenExpired), (200, SecretAnswer)]));
        var (reader, exchange) = Create(server);
        using var _ = exchange;

        var secret = await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);

        Assert.Equal(3, secret.Version);
        Assert.Equal(2, _exchanges);
        Assert.Equal(2, server.Requests.Count(r => r.StartsWith("GET ", StringComparison.Ordinal)));
        Assert.Contains("Authorization: Bearer sv-2", server.Requests[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_WhenTheFreshTokenIsRefusedToo_FailsAfterOneReExchange()
    {
        await using var server = Start(secretAnswers: new Queue<(int, string)>([(401, TokenExpired), (401, TokenExpired), (200, SecretAnswer)]));
        var (reader, exchange) = Create(server);
        using var _ = exchange;

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None));

        Assert.Equal((ErrorCodes.TokenExpired, "req-1"), (e.Code, e.RequestId));
        Assert.DoesNotContain("jwt.of", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sv-", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _exchanges);
        Assert.Equal(2, server.Requests.Count(r => r.StartsWith("GET ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Read_APinnedVersion_AsksForIt_AndEscapesEachPathSegment()
    {
        await using var server = Start(secretAnswers: null);
        var (reader, exchange) = Create(server);
        using var _ = exchange;

        await reader.ReadAsync(exchange, "apps/a b/db", version: 3, Deadline(), CancellationToken.None);
        await reader.ReadAsync(exchange, "apps/x", version: null, Deadline(), CancellationToken.None);

        var reads = server.Requests.Where(r => r.StartsWith("GET ", StringComparison.Ordinal)).Select(r => r[..r.IndexOf('\r', StringComparison.Ordinal)]).ToList();
        Assert.Equal(["GET /v1/secrets/apps/a%20b/db?version=3 HTTP/1.1", "GET /v1/secrets/apps/x HTTP/1.1"], reads);
    }

    [Fact]
    public async Task Exchange_WhenTheSourceHasNoJwt_FailsWithItsError_AndSendsNothing()
    {
        await using var server = Start(secretAnswers: null);
        var options = Options(server);
        using var http = ScaiVaultHttpClient.Create(options);
        using var exchange = new WorkloadTokenExchange(
            http,
            options,
            _ => throw new ScaiVaultException(null, "no_token_for_audience", "no service-account token for audience 'scaivault'"),
            _time,
            NullLogger<WorkloadTokenExchange>.Instance);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => new ScaiVaultSecretReader(http, options, _time).ReadAsync(exchange, "apps/x", null, Deadline(), CancellationToken.None));

        Assert.Equal("no_token_for_audience", e.Code);
        Assert.Empty(server.Requests);
    }

    private TinyHttpServer Start(Queue<(int Status, string Body)>? secretAnswers) =>
        TinyHttpServer.Start(null, request =>
        {
            if (request.StartsWith("POST /v1/auth/exchange ", StringComparison.Ordinal))
            {
                var n = Interlocked.Increment(ref _exchanges);
                return (200, $$"""{"access_token": "sv-{{n}}", "token_type": "Bearer", "expires_in": 3600}""");
            }

            lock (this)
            {
                return secretAnswers is { Count: > 0 } ? secretAnswers.Dequeue() : (200, SecretAnswer);
            }
        });

    private (ScaiVaultSecretReader Reader, WorkloadTokenExchange Exchange) Create(TinyHttpServer server)
    {
        var options = Options(server);
        var http = ScaiVaultHttpClient.Create(options);
        var exchange = new WorkloadTokenExchange(
            http,
            options,
            _ =>
            {
                Interlocked.Increment(ref _subjectTokenAsked);
                return ValueTask.FromResult(Volatile.Read(ref _jwt));
            },
            _time,
            NullLogger<WorkloadTokenExchange>.Instance);
        return (new ScaiVaultSecretReader(http, options, _time), exchange);
    }

    private static ScaiVaultClientOptions Options(TinyHttpServer server) => new()
    {
        BaseUrl = server.BaseAddress,
        UrlSetting = "--scaivault-url",
        CaFileSetting = "--ca-file",
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    private long Deadline() => _time.GetTimestamp() + (long)(60 * _time.TimestampFrequency);
}
