using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ScaiVault.Emulator.Tests.Auth;

/// <summary>A workload-token issuer the tests control: its key as PEM or JWKS file, and tokens of any shape.</summary>
public sealed class TestIssuer : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly string _directory = Directory.CreateTempSubdirectory("scaivault-emulator-tests-").FullName;

    public TestIssuer(string issuer, string keyId = "test-key")
    {
        Issuer = issuer;
        KeyId = keyId;
        Key = new RsaSecurityKey(_rsa) { KeyId = keyId };
    }

    public string Issuer { get; }

    public string KeyId { get; }

    public RsaSecurityKey Key { get; }

    public string WritePem()
    {
        var path = Path.Combine(_directory, "issuer.pem");
        File.WriteAllText(path, _rsa.ExportSubjectPublicKeyInfoPem());
        return path;
    }

    public string WriteJwks()
    {
        var parameters = _rsa.ExportParameters(false);
        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["kid"] = KeyId,
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            }),
        };
        var path = Path.Combine(_directory, "jwks.json");
        File.WriteAllText(path, jwks.ToJsonString());
        return path;
    }

    public string Mint(string subject, string audience = "scaivault", TimeSpan? lifetime = null, DateTimeOffset? notBefore = null, string? issuer = null)
    {
        var start = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = start.UtcDateTime,
            NotBefore = start.UtcDateTime,
            Expires = (start + (lifetime ?? TimeSpan.FromHours(1))).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public void Dispose()
    {
        _rsa.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
