using System.Diagnostics;
using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>
/// <c>client_ref</c> is our extension of the contract (ADR 0005). A ScaiVault that ignores it costs the agent only
/// its early clean-up of lost answers; one that refuses unknown fields must not cost it every generate.
/// </summary>
public sealed class ClientRefCompatibilityTests
{
    private const string Grant = """
        {"lease_id": "dyn_abc", "lease_duration": 3600, "renewable": true,
         "data": {"username": "v_readonly_8f3k2", "password": "pw"}}
        """;

    private const string RefusedField = """{"error": {"code": "invalid_request", "message": "unknown field client_ref", "request_id": "req_1"}}""";

    [Fact]
    public async Task ServerRefusingClientRef_GetsTheGenerateAgainWithoutIt_AndNeverSeesItAgain()
    {
        await using var server = TinyHttpServer.Start(null, request => request.Contains("client_ref", StringComparison.Ordinal) ? (400, RefusedField) : (200, Grant));
        var logger = new CapturingLogger<ScaiVaultClient>();
        var client = Client(server, logger);

        var first = await client.GenerateAsync(TimeSpan.FromHours(1), "la-ref-1", Deadline(), CancellationToken.None);
        var second = await client.GenerateAsync(TimeSpan.FromHours(1), "la-ref-2", Deadline(), CancellationToken.None);

        Assert.Equal("dyn_abc", first.LeaseId);
        Assert.Equal("dyn_abc", second.LeaseId);
        var requests = server.Requests;
        Assert.Equal(3, requests.Count);
        Assert.Contains("la-ref-1", requests[0], StringComparison.Ordinal);
        Assert.DoesNotContain("client_ref", requests[1], StringComparison.Ordinal);
        Assert.DoesNotContain("client_ref", requests[2], StringComparison.Ordinal);
        Assert.Single(logger.Entries, e => e.Id.Id == 9700);
    }

    [Fact]
    public async Task RequestRefusedForAnotherReason_FailsAsBefore_AndTheNextGenerateStillCarriesClientRef()
    {
        await using var server = TinyHttpServer.Start(null, _ => (400, """{"error": {"code": "invalid_request", "message": "bad body"}}"""));
        var logger = new CapturingLogger<ScaiVaultClient>();
        var client = Client(server, logger);

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => client.GenerateAsync(null, "la-ref-1", Deadline(), CancellationToken.None));
        await Assert.ThrowsAsync<ScaiVaultException>(() => client.GenerateAsync(null, "la-ref-2", Deadline(), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, e.Code);
        Assert.Contains("la-ref-2", server.Requests[2], StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, entry => entry.Id.Id == 9700);
    }

    [Fact]
    public async Task OtherRefusals_AreNotRetriedWithoutClientRef()
    {
        await using var server = TinyHttpServer.Start(null, _ => (400, """{"error": {"code": "invalid_duration", "message": "bad ttl"}}"""));
        var client = Client(server, new CapturingLogger<ScaiVaultClient>());

        await Assert.ThrowsAsync<ScaiVaultException>(() => client.GenerateAsync(TimeSpan.FromHours(1), "la-ref-1", Deadline(), CancellationToken.None));

        Assert.Single(server.Requests);
    }

    private static ScaiVaultClient Client(TinyHttpServer server, CapturingLogger<ScaiVaultClient> logger)
    {
        var options = new ScaiVaultOptions
        {
            BaseUrl = server.BaseAddress,
            TokenFile = "/nonexistent/token",
            RequestTimeout = TimeSpan.FromSeconds(10),
            Paths = ScaiVaultPaths.Default,
        };
        return new ScaiVaultClient(
            ScaiVaultConnection.CreateHttpClient(options), new StaticTokenSource("static-token"), options,
            new LeaseOptions { Engine = "reporting-db", Role = "readonly" }, TimeProvider.System, logger);
    }

    private static long Deadline() => Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 60);
}
