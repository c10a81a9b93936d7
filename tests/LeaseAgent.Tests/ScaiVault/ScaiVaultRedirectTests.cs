using System.Diagnostics;
using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using Microsoft.Extensions.Logging.Abstractions;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>
/// A redirect never carries the service-account JWT or the client secret anywhere: the agent's one HTTP client
/// (<see cref="ScaiVaultHttpClient.Create"/>) does not follow it, and the pipeline does not retry it. Each test
/// runs a real call through <see cref="ScaiVaultClient"/> (so through the retry pipeline) against a server that
/// redirects to a second one, which must receive nothing.
/// </summary>
public sealed class ScaiVaultRedirectTests : IDisposable
{
    private const string Secret = "s3cret-client-value";
    private const string TokenAnswer = """{"access_token": "stolen-elsewhere", "expires_in": 3600}""";
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("leaseagent-redirect-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    [InlineData(302)]
    public async Task WorkloadExchange_Redirected_SendsTheJwtNowhereElse_AndFailsOnceWithoutRetry(int status)
    {
        await using var elsewhere = TinyHttpServer.Start(null, _ => (200, TokenAnswer));
        await using var scaiVault = Redirecting(status, elsewhere);
        var tokenFile = Path.Combine(_directory.FullName, "token");
        await File.WriteAllTextAsync(tokenFile, "header.SA-JWT-PAYLOAD.signature");
        var options = Options(scaiVault) with { TokenFile = tokenFile };
        using var http = ScaiVaultConnection.CreateHttpClient(options);
        using var exchange = TokenSources.WorkloadExchange(http, options, TimeProvider.System, NullLogger<WorkloadTokenExchange>.Instance);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => GenerateAsync(http, exchange, options));

        Assert.Empty(elsewhere.Requests);
        Assert.StartsWith("POST /v1/auth/exchange HTTP/1.1", Assert.Single(scaiVault.Requests), StringComparison.Ordinal);
        AssertNamesTheRedirect(e, status, elsewhere, "SCAIVAULT_URL");
        Assert.False(e.MayHaveTakenEffect, "a failed exchange sent no generate, so no lease can need looking up");
    }

    [Theory]
    [InlineData(307)]
    [InlineData(308)]
    public async Task ScaiKeyTokenRequest_Redirected_SendsTheClientSecretNowhereElse_AndFailsOnceWithoutRetry(int status)
    {
        await using var elsewhere = TinyHttpServer.Start(null, _ => (200, TokenAnswer));
        await using var scaiKey = Redirecting(status, elsewhere);
        var secretFile = Path.Combine(_directory.FullName, "client-secret");
        await File.WriteAllTextAsync(secretFile, Secret);
        var options = Options(scaiKey);
        using var http = ScaiVaultConnection.CreateHttpClient(options);
        using var source = new ClientCredentialsTokenSource(
            http, new("agent", secretFile, new Uri(scaiKey.BaseAddress, "oauth/token")), TimeProvider.System, NullLogger<ClientCredentialsTokenSource>.Instance);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => GenerateAsync(http, source, options));

        Assert.Empty(elsewhere.Requests);
        Assert.StartsWith("POST /oauth/token HTTP/1.1", Assert.Single(scaiKey.Requests), StringComparison.Ordinal);
        AssertNamesTheRedirect(e, status, elsewhere, "SCAIKEY_TOKEN_URL");
        Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizedCall_Redirected_IsNotFollowedEither()
    {
        await using var elsewhere = TinyHttpServer.Start(null, _ => (200, "{}"));
        await using var scaiVault = Redirecting(307, elsewhere);
        var options = Options(scaiVault);
        using var http = ScaiVaultConnection.CreateHttpClient(options);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => GenerateAsync(http, new StaticTokenSource("static-token"), options));

        Assert.Empty(elsewhere.Requests);
        Assert.Single(scaiVault.Requests);
        AssertNamesTheRedirect(e, 307, elsewhere, "SCAIVAULT_URL");
        Assert.False(e.MayHaveTakenEffect, "a redirect is an answer: the server that gave it minted nothing");
    }

    /// <summary>Redirects every request to <paramref name="target"/>, with a query that must never be logged.</summary>
    private static TinyHttpServer Redirecting(int status, TinyHttpServer target) => TinyHttpServer.Start(
        null,
        _ => (status, "{}"),
        new Dictionary<string, string> { ["Location"] = new Uri(target.BaseAddress, "steal?key=hidden-query").AbsoluteUri });

    private static void AssertNamesTheRedirect(ScaiVaultException e, int status, TinyHttpServer target, string key)
    {
        Assert.Equal(ErrorCodes.UnexpectedRedirect, e.Code);
        Assert.False(e.IsTransient);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        Assert.Contains(target.BaseAddress.Authority, e.Message, StringComparison.Ordinal);
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-query", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/steal", e.Message, StringComparison.Ordinal);
    }

    private static async Task GenerateAsync(HttpClient http, IScaiVaultTokenSource tokens, ScaiVaultOptions options)
    {
        var client = new ScaiVaultClient(http, tokens, options, new LeaseOptions { Engine = "reporting-db", Role = "readonly" }, TimeProvider.System);
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 60);
        await client.GenerateAsync(null, "client-ref", deadline, CancellationToken.None);
    }

    private static ScaiVaultOptions Options(TinyHttpServer server) => new()
    {
        BaseUrl = server.BaseAddress,
        TokenFile = "/nonexistent/token",
        RequestTimeout = TimeSpan.FromSeconds(10),
        Paths = ScaiVaultPaths.Default,
    };
}
