using System.Text;
using LeaseAgent.Configuration;
using LeaseAgent.ScaiVault;
using ScaiVault.Client;

namespace LeaseAgent.Tests.ScaiVault;

/// <summary>Error bodies: ScaiVault's envelope and the token URL's RFC 6749 answers both yield a code.</summary>
public sealed class ScaiVaultHttpErrorTests
{
    [Theory]
    [InlineData("""{"error": {"code": "token_expired", "message": "exchange again", "request_id": "req_1"}}""", "token_expired", "exchange again", "req_1")]
    [InlineData("""{"error": "invalid_client", "error_description": "Client authentication failed."}""", "invalid_client", "Client authentication failed.", null)]
    [InlineData("""{"error": "invalid_client"}""", "invalid_client", null, null)]
    [InlineData("""{"error": {"code": "two words"}}""", null, null, null)]
    [InlineData("""{"error": 42}""", null, null, null)]
    [InlineData("""{"message": "no error member"}""", null, null, null)]
    [InlineData("<html><body>502 Bad Gateway</body></html>", null, null, null)]
    public void ParseError_ReadsBothShapes_AndNothingElse(string body, string? code, string? message, string? requestId) =>
        Assert.Equal((code, message, requestId), ScaiVaultHttp.ParseError(Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("86400", 300, true)]
    [InlineData("301", 300, true)]
    [InlineData("300", 300, false)]
    [InlineData("42", 42, false)]
    public async Task RetryAfter_IsCappedAtFiveMinutes_AndTheMessageSaysSo(string header, double seconds, bool capped)
    {
        await using var server = TinyHttpServer.Start(null, _ => (503, "{}"), new Dictionary<string, string> { ["Retry-After"] = header });
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ScaiVaultException>(() => ScaiVaultHttp.SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, server.BaseAddress), ScaiVaultPeer.ScaiVault(new() { BaseUrl = server.BaseAddress, UrlSetting = "SCAIVAULT_URL", CaFileSetting = "SCAIVAULT_CA_FILE" }), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(seconds), e.RetryAfter);
        Assert.Equal(capped, e.Message.Contains($"Retry-After of {header} s capped at 300 s", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../b")]
    public void Expand_DotSegmentOrForeignLeaseId_IsRefusedBeforeAnyRequest(string leaseId)
    {
        var error = Assert.Throws<ScaiVaultException>(() => LeasePaths.Expand(ScaiVaultPaths.Default.Revoke, leaseId: leaseId));

        Assert.Equal(ErrorCodes.MalformedResponse, error.Code);
    }

    [Fact]
    public void Expand_ValidLeaseId_IsEscapedIntoItsSegment() =>
        Assert.Equal("/v1/dynamic/leases/dyn_1%3Aa-b.c/revoke", LeasePaths.Expand(ScaiVaultPaths.Default.Revoke, leaseId: "dyn_1:a-b.c"));
}
