using System.Text;
using LeaseAgent.ScaiVault;

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
}
